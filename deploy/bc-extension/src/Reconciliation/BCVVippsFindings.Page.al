page 50103 "BCV Vipps Findings"
{
    Caption = 'Vipps Findings';
    PageType = List;
    SourceTable = "BCV Vipps Finding";
    ApplicationArea = All;
    UsageCategory = Lists;
    Editable = false;

    layout
    {
        area(Content)
        {
            repeater(Lines)
            {
                field(findingId; Rec."Finding Id")
                {
                    ApplicationArea = All;
                }
                field(kind; Rec.Kind)
                {
                    ApplicationArea = All;
                }
                field(reference; Rec.Reference)
                {
                    ApplicationArea = All;
                }
                field(salesUnit; Rec."Sales Unit")
                {
                    ApplicationArea = All;
                }
                field(detail; Rec.Detail)
                {
                    ApplicationArea = All;
                }
                field(expected; Rec.Expected)
                {
                    ApplicationArea = All;
                }
                field(actual; Rec.Actual)
                {
                    ApplicationArea = All;
                }
                field(status; Rec.Status)
                {
                    ApplicationArea = All;
                }
                field(firstSeenAt; Rec."First Seen At")
                {
                    ApplicationArea = All;
                }
                field(resolvedAt; Rec."Resolved At")
                {
                    ApplicationArea = All;
                }
            }
        }
    }
}
