page 50101 "BCV Vipps Payments"
{
    Caption = 'Vipps Payments';
    PageType = List;
    SourceTable = "BCV Vipps Payment";
    ApplicationArea = All;
    UsageCategory = Lists;
    Editable = false;

    layout
    {
        area(Content)
        {
            repeater(Lines)
            {
                field(reference; Rec.Reference)
                {
                    ApplicationArea = All;
                }
                field(paymentId; Rec."Payment Id")
                {
                    ApplicationArea = All;
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    ApplicationArea = All;
                }
                field(status; Rec.Status)
                {
                    ApplicationArea = All;
                }
                field(currency; Rec.Currency)
                {
                    ApplicationArea = All;
                }
                field(amount; Rec.Amount)
                {
                    ApplicationArea = All;
                }
                field(authorizedAmount; Rec."Authorized Amount")
                {
                    ApplicationArea = All;
                }
                field(capturedAmount; Rec."Captured Amount")
                {
                    ApplicationArea = All;
                }
                field(refundedAmount; Rec."Refunded Amount")
                {
                    ApplicationArea = All;
                }
                field(cancelledAmount; Rec."Cancelled Amount")
                {
                    ApplicationArea = All;
                }
                field(posId; Rec."POS Id")
                {
                    ApplicationArea = All;
                }
                field(receiptNumber; Rec."Receipt Number")
                {
                    ApplicationArea = All;
                }
                field(memberId; Rec."Member Id")
                {
                    ApplicationArea = All;
                }
                field(lastChangedAt; Rec."Last Changed At")
                {
                    ApplicationArea = All;
                }
            }
        }
    }
}
