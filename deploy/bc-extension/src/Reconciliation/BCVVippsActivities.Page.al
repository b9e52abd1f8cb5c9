page 50104 "BCV Vipps Activities"
{
    Caption = 'Vipps MobilePay';
    PageType = CardPart;
    SourceTable = "BCV Vipps Cue";
    RefreshOnActivate = true;
    ShowFilter = false;

    layout
    {
        area(Content)
        {
            cuegroup(Reconciliation)
            {
                Caption = 'Reconciliation';

                field(OpenFindings; Rec."Open Findings")
                {
                    ApplicationArea = All;
                    DrillDownPageId = "BCV Vipps Findings";
                    StyleExpr = OpenFindingsStyle;
                }
                field(AuthorizedPayments; Rec."Authorized Payments")
                {
                    ApplicationArea = All;
                    DrillDownPageId = "BCV Vipps Payments";
                }
            }
        }
    }

    var
        OpenFindingsStyle: Text;

    trigger OnOpenPage()
    begin
        Rec.Reset();
        if not Rec.Get() then begin
            Rec.Init();
            Rec.Insert();
        end;
    end;

    trigger OnAfterGetRecord()
    begin
        Rec.CalcFields("Open Findings");
        if Rec."Open Findings" > 0 then
            OpenFindingsStyle := 'Unfavorable'
        else
            OpenFindingsStyle := 'Favorable';
    end;
}
