pageextension 50101 "BCV Business Manager RC" extends "Business Manager Role Center"
{
    layout
    {
        addlast(rolecenter)
        {
            part(BCVVippsActivities; "BCV Vipps Activities")
            {
                ApplicationArea = All;
                Caption = 'Vipps MobilePay';
                // Hidden for Business Manager users without BCV VIPPS USER instead of failing on the cue insert.
                AccessByPermission = tabledata "BCV Vipps Cue" = I;
            }
        }
    }
}
