table 50105 "BCV Vipps Cue"
{
    Caption = 'Vipps Cue';
    DataClassification = SystemMetadata;
    Access = Public;

    fields
    {
        field(1; "Primary Key"; Code[10])
        {
            Caption = 'Primary Key';
            DataClassification = SystemMetadata;
        }
        field(2; "Open Findings"; Integer)
        {
            Caption = 'Open Vipps Findings';
            ToolTip = 'Specifies how many reconciliation findings are open.';
            FieldClass = FlowField;
            CalcFormula = count("BCV Vipps Finding" where(Status = const('open')));
            Editable = false;
        }
        field(3; "Authorized Payments"; Integer)
        {
            Caption = 'Authorized Vipps Payments';
            ToolTip = 'Specifies how many payments are authorized and not yet fully captured or cancelled.';
            FieldClass = FlowField;
            CalcFormula = count("BCV Vipps Payment" where(Status = const('authorized')));
            Editable = false;
        }
    }

    keys
    {
        key(PK; "Primary Key")
        {
            Clustered = true;
        }
    }
}
