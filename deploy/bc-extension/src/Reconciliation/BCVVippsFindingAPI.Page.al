/// <summary>
/// API page vippsFindings (DESIGN §8): …/api/bcvipps/vipps/v1.0/companies({id})/vippsFindings; the connector upserts by findingId.
/// Field names are the connector's; amounts are integers in minor units.
/// </summary>
page 50112 "BCV Vipps Finding API"
{
    Caption = 'vippsFindings', Locked = true;
    PageType = API;
    APIPublisher = 'bcvipps';
    APIGroup = 'vipps';
    APIVersion = 'v1.0';
    EntityName = 'vippsFinding';
    EntitySetName = 'vippsFindings';
    EntityCaption = 'Vipps Finding';
    EntitySetCaption = 'Vipps Findings';
    SourceTable = "BCV Vipps Finding";
    ODataKeyFields = "Finding Id";
    DelayedInsert = true;
    Extensible = false;

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(findingId; Rec."Finding Id")
                {
                    Caption = 'findingId';
                }
                field(kind; Rec.Kind)
                {
                    Caption = 'kind';
                }
                field(reference; Rec.Reference)
                {
                    Caption = 'reference';
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    Caption = 'salesUnit';
                }
                field(detail; Rec.Detail)
                {
                    Caption = 'detail';
                }
                field(expected; Rec.Expected)
                {
                    Caption = 'expected';
                }
                field(actual; Rec.Actual)
                {
                    Caption = 'actual';
                }
                field(status; Rec.Status)
                {
                    Caption = 'status';
                }
                field(firstSeenAt; Rec."First Seen At")
                {
                    Caption = 'firstSeenAt';
                }
                field(resolvedAt; Rec."Resolved At")
                {
                    Caption = 'resolvedAt';
                }
            }
        }
    }
}
