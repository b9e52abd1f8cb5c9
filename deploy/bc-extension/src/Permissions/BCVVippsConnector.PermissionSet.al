/// <summary>
/// The connector's Microsoft Entra app: it writes vippsPayments, vippsSettlements and vippsFindings
/// through the API pages. Assign it to the app only; people get read access through BCV VIPPS USER.
/// </summary>
permissionset 50102 "BCV VIPPS CONNECTOR"
{
    Caption = 'Vipps connector: Entra app', MaxLength = 30;
    Assignable = true;

    Permissions =
        tabledata "BCV Vipps Payment" = RIMD,
        tabledata "BCV Vipps Settlement" = RIMD,
        tabledata "BCV Vipps Finding" = RIMD,
        table "BCV Vipps Payment" = X,
        table "BCV Vipps Settlement" = X,
        table "BCV Vipps Finding" = X,
        page "BCV Vipps Payment API" = X,
        page "BCV Vipps Settlement API" = X,
        page "BCV Vipps Finding API" = X;
}
