/// <summary>
/// A Vipps MobilePay payment as the bcvipps connector writes it (DESIGN §8, vippsPayments, keyed by reference). Amounts are in minor units.
/// Written by the connector through the vippsPayments API page; read-only for users.
/// </summary>
table 50101 "BCV Vipps Payment"
{
    Caption = 'Vipps Payment';
    DataClassification = CustomerContent;
    Access = Public;
    LookupPageId = "BCV Vipps Payments";
    DrillDownPageId = "BCV Vipps Payments";

    fields
    {
        field(1; Reference; Text[64])
        {
            // Text, not Code: Vipps references are case-sensitive.
            Caption = 'Reference';
            ToolTip = 'Specifies the reference.';
            DataClassification = CustomerContent;
        }
        field(2; "Payment Id"; Text[64])
        {
            Caption = 'Payment Id';
            ToolTip = 'Specifies the payment Id.';
            DataClassification = SystemMetadata;
        }
        field(3; "Sales Unit"; Code[20])
        {
            Caption = 'Sales Unit';
            ToolTip = 'Specifies the sales Unit.';
            DataClassification = CustomerContent;
        }
        field(4; Status; Text[20])
        {
            Caption = 'Status';
            ToolTip = 'Specifies the status.';
            DataClassification = CustomerContent;
        }
        field(5; Currency; Code[3])
        {
            Caption = 'Currency';
            ToolTip = 'Specifies the currency.';
            DataClassification = CustomerContent;
        }
        field(6; Amount; BigInteger)
        {
            Caption = 'Amount (Minor Units)';
            ToolTip = 'Specifies the amount (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(7; "Authorized Amount"; BigInteger)
        {
            Caption = 'Authorized Amount (Minor Units)';
            ToolTip = 'Specifies the authorized Amount (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(8; "Captured Amount"; BigInteger)
        {
            Caption = 'Captured Amount (Minor Units)';
            ToolTip = 'Specifies the captured Amount (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(9; "Refunded Amount"; BigInteger)
        {
            Caption = 'Refunded Amount (Minor Units)';
            ToolTip = 'Specifies the refunded Amount (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(10; "Cancelled Amount"; BigInteger)
        {
            Caption = 'Cancelled Amount (Minor Units)';
            ToolTip = 'Specifies the cancelled Amount (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(11; "POS Id"; Text[50])
        {
            Caption = 'POS Id';
            ToolTip = 'Specifies the POS Id.';
            DataClassification = CustomerContent;
        }
        field(12; "Receipt Number"; Text[50])
        {
            Caption = 'Receipt Number';
            ToolTip = 'Specifies the receipt Number.';
            DataClassification = CustomerContent;
        }
        field(13; "Member Id"; Text[50])
        {
            Caption = 'Member Id';
            ToolTip = 'Specifies the member Id.';
            DataClassification = EndUserPseudonymousIdentifiers;
        }
        field(14; "Last Changed At"; DateTime)
        {
            Caption = 'Last Changed At';
            ToolTip = 'Specifies the last Changed At.';
            DataClassification = SystemMetadata;
        }
    }

    keys
    {
        key(PK; Reference)
        {
            Clustered = true;
        }
        key(SalesUnitStatus; "Sales Unit", Status)
        {
        }
    }
}
