page 50102 "BCV Vipps Settlements"
{
    Caption = 'Vipps Settlements';
    PageType = List;
    SourceTable = "BCV Vipps Settlement";
    ApplicationArea = All;
    UsageCategory = Lists;
    Editable = false;

    layout
    {
        area(Content)
        {
            repeater(Lines)
            {
                field(ledgerDate; Rec."Ledger Date")
                {
                    ApplicationArea = All;
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    ApplicationArea = All;
                }
                field(currency; Rec.Currency)
                {
                    ApplicationArea = All;
                }
                field(captured; Rec.Captured)
                {
                    ApplicationArea = All;
                }
                field(refunded; Rec.Refunded)
                {
                    ApplicationArea = All;
                }
                field(fees; Rec.Fees)
                {
                    ApplicationArea = All;
                }
                field(net; Rec.Net)
                {
                    ApplicationArea = All;
                }
                field(payoutReference; Rec."Payout Reference")
                {
                    ApplicationArea = All;
                }
                field(entries; Rec.Entries)
                {
                    ApplicationArea = All;
                }
                field(unmatched; Rec.Unmatched)
                {
                    ApplicationArea = All;
                }
            }
        }
    }
}
