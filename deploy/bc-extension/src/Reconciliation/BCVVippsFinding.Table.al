/// <summary>
/// Something a reconciliation run of the connector found (DESIGN §8, vippsFindings, keyed by findingId).
/// Written by the connector through the vippsFindings API page; read-only for users.
/// </summary>
table 50103 "BCV Vipps Finding"
{
    Caption = 'Vipps Finding';
    DataClassification = CustomerContent;
    Access = Public;
    LookupPageId = "BCV Vipps Findings";
    DrillDownPageId = "BCV Vipps Findings";

    fields
    {
        field(1; "Finding Id"; Text[64])
        {
            Caption = 'Finding Id';
            ToolTip = 'Specifies the finding Id.';
            DataClassification = SystemMetadata;
        }
        field(2; Kind; Text[50])
        {
            Caption = 'Kind';
            ToolTip = 'Specifies the kind.';
            DataClassification = CustomerContent;
        }
        field(3; Reference; Text[64])
        {
            Caption = 'Reference';
            ToolTip = 'Specifies the reference.';
            DataClassification = CustomerContent;
        }
        field(4; "Sales Unit"; Code[20])
        {
            Caption = 'Sales Unit';
            ToolTip = 'Specifies the sales Unit.';
            DataClassification = CustomerContent;
        }
        field(5; Detail; Text[2048])
        {
            Caption = 'Detail';
            ToolTip = 'Specifies the detail.';
            DataClassification = CustomerContent;
        }
        field(6; Expected; Text[250])
        {
            Caption = 'Expected';
            ToolTip = 'Specifies the expected.';
            DataClassification = CustomerContent;
        }
        field(7; Actual; Text[250])
        {
            Caption = 'Actual';
            ToolTip = 'Specifies the actual.';
            DataClassification = CustomerContent;
        }
        field(8; Status; Text[20])
        {
            Caption = 'Status';
            ToolTip = 'Specifies the status.';
            DataClassification = CustomerContent;
        }
        field(9; "First Seen At"; DateTime)
        {
            Caption = 'First Seen At';
            ToolTip = 'Specifies the first Seen At.';
            DataClassification = SystemMetadata;
        }
        field(10; "Resolved At"; DateTime)
        {
            Caption = 'Resolved At';
            ToolTip = 'Specifies the resolved At.';
            DataClassification = SystemMetadata;
        }
    }

    keys
    {
        key(PK; "Finding Id")
        {
            Clustered = true;
        }
        key(StatusKind; Status, Kind)
        {
        }
    }
}
