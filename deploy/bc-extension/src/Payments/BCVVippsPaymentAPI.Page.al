/// <summary>
/// API page vippsPayments (DESIGN §8): …/api/bcvipps/vipps/v1.0/companies({id})/vippsPayments; the connector upserts by reference.
/// Field names are the connector's; amounts are integers in minor units.
/// </summary>
page 50110 "BCV Vipps Payment API"
{
    Caption = 'vippsPayments', Locked = true;
    PageType = API;
    APIPublisher = 'bcvipps';
    APIGroup = 'vipps';
    APIVersion = 'v1.0';
    EntityName = 'vippsPayment';
    EntitySetName = 'vippsPayments';
    EntityCaption = 'Vipps Payment';
    EntitySetCaption = 'Vipps Payments';
    SourceTable = "BCV Vipps Payment";
    ODataKeyFields = Reference;
    DelayedInsert = true;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(reference; Rec.Reference)
                {
                    Caption = 'reference';
                }
                field(paymentId; Rec."Payment Id")
                {
                    Caption = 'paymentId';
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    Caption = 'salesUnit';
                }
                field(status; Rec.Status)
                {
                    Caption = 'status';
                }
                field(currency; Rec.Currency)
                {
                    Caption = 'currency';
                }
                field(amount; Rec.Amount)
                {
                    Caption = 'amount';
                }
                field(authorizedAmount; Rec."Authorized Amount")
                {
                    Caption = 'authorizedAmount';
                }
                field(capturedAmount; Rec."Captured Amount")
                {
                    Caption = 'capturedAmount';
                }
                field(refundedAmount; Rec."Refunded Amount")
                {
                    Caption = 'refundedAmount';
                }
                field(cancelledAmount; Rec."Cancelled Amount")
                {
                    Caption = 'cancelledAmount';
                }
                field(posId; Rec."POS Id")
                {
                    Caption = 'posId';
                }
                field(receiptNumber; Rec."Receipt Number")
                {
                    Caption = 'receiptNumber';
                }
                field(memberId; Rec."Member Id")
                {
                    Caption = 'memberId';
                }
                field(lastChangedAt; Rec."Last Changed At")
                {
                    Caption = 'lastChangedAt';
                }
            }
        }
    }
}
