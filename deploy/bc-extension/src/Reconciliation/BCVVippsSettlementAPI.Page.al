/// <summary>
/// API page vippsSettlements (DESIGN §8): …/api/bcvipps/vipps/v1.0/companies({id})/vippsSettlements; SystemId as id; the connector finds a row by ledgerDate and salesUnit with $filter.
/// Field names are the connector's; amounts are integers in minor units.
/// </summary>
page 50111 "BCV Vipps Settlement API"
{
    Caption = 'vippsSettlements', Locked = true;
    PageType = API;
    APIPublisher = 'bcvipps';
    APIGroup = 'vipps';
    APIVersion = 'v1.0';
    EntityName = 'vippsSettlement';
    EntitySetName = 'vippsSettlements';
    EntityCaption = 'Vipps Settlement';
    EntitySetCaption = 'Vipps Settlements';
    SourceTable = "BCV Vipps Settlement";
    ODataKeyFields = SystemId;
    DelayedInsert = true;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(ledgerDate; Rec."Ledger Date")
                {
                    Caption = 'ledgerDate';
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    Caption = 'salesUnit';
                }
                field(currency; Rec.Currency)
                {
                    Caption = 'currency';
                }
                field(captured; Rec.Captured)
                {
                    Caption = 'captured';
                }
                field(refunded; Rec.Refunded)
                {
                    Caption = 'refunded';
                }
                field(fees; Rec.Fees)
                {
                    Caption = 'fees';
                }
                field(net; Rec.Net)
                {
                    Caption = 'net';
                }
                field(payoutReference; Rec."Payout Reference")
                {
                    Caption = 'payoutReference';
                }
                field(entries; Rec.Entries)
                {
                    Caption = 'entries';
                }
                field(unmatched; Rec.Unmatched)
                {
                    Caption = 'unmatched';
                }
            }
        }
    }
}
