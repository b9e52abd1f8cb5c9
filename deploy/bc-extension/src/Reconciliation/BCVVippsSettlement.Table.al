/// <summary>
/// One ledger date of one sales unit as settled by Vipps MobilePay (DESIGN §8, vippsSettlements, keyed by ledger date and sales unit). Amounts are in minor units.
/// Written by the connector through the vippsSettlements API page; read-only for users.
/// </summary>
table 50102 "BCV Vipps Settlement"
{
    Caption = 'Vipps Settlement';
    DataClassification = CustomerContent;
    Access = Public;
    LookupPageId = "BCV Vipps Settlements";
    DrillDownPageId = "BCV Vipps Settlements";

    fields
    {
        field(1; "Ledger Date"; Date)
        {
            Caption = 'Ledger Date';
            ToolTip = 'Specifies the ledger Date.';
            DataClassification = CustomerContent;
        }
        field(2; "Sales Unit"; Code[20])
        {
            Caption = 'Sales Unit';
            ToolTip = 'Specifies the sales Unit.';
            DataClassification = CustomerContent;
        }
        field(3; Currency; Code[3])
        {
            Caption = 'Currency';
            ToolTip = 'Specifies the currency.';
            DataClassification = CustomerContent;
        }
        field(4; Captured; BigInteger)
        {
            Caption = 'Captured (Minor Units)';
            ToolTip = 'Specifies the captured (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(5; Refunded; BigInteger)
        {
            Caption = 'Refunded (Minor Units)';
            ToolTip = 'Specifies the refunded (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(6; Fees; BigInteger)
        {
            Caption = 'Fees (Minor Units)';
            ToolTip = 'Specifies the fees (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(7; Net; BigInteger)
        {
            Caption = 'Net (Minor Units)';
            ToolTip = 'Specifies the net (Minor Units).';
            DataClassification = CustomerContent;
        }
        field(8; "Payout Reference"; Text[100])
        {
            Caption = 'Payout Reference';
            ToolTip = 'Specifies the payout Reference.';
            DataClassification = CustomerContent;
        }
        field(9; Entries; Integer)
        {
            Caption = 'Entries';
            ToolTip = 'Specifies the entries.';
            DataClassification = CustomerContent;
        }
        field(10; Unmatched; Integer)
        {
            Caption = 'Unmatched Entries';
            ToolTip = 'Specifies the unmatched Entries.';
            DataClassification = CustomerContent;
        }
    }

    keys
    {
        key(PK; "Ledger Date", "Sales Unit")
        {
            Clustered = true;
        }
    }
}
