/// <summary>
/// Users of the Customer Card action, the POS assist and the payments codeunit, and the connector's
/// Entra app (which writes vippsPayments, vippsSettlements and vippsFindings through the API pages).
/// </summary>
permissionset 50101 "BCV VIPPS USER"
{
    Caption = 'Vipps connector: use', MaxLength = 30;
    Assignable = true;

    Permissions =
        tabledata "BCV Vipps Setup" = R,
        tabledata "BCV Vipps Payment" = RIMD,
        tabledata "BCV Vipps Settlement" = RIMD,
        tabledata "BCV Vipps Finding" = RIMD,
        tabledata "BCV Vipps Cue" = RIMD,
        tabledata "BCV Member Info Buffer" = RIMD,
        table "BCV Vipps Setup" = X,
        table "BCV Vipps Payment" = X,
        table "BCV Vipps Settlement" = X,
        table "BCV Vipps Finding" = X,
        table "BCV Vipps Cue" = X,
        table "BCV Member Info Buffer" = X,
        codeunit "BCV Connector Client" = X,
        codeunit "BCV Customer Info Request" = X,
        codeunit "BCV Cust. Info Poll Task" = X,
        codeunit "BCV POS Member Assist" = X,
        codeunit "BCV Payments" = X,
        page "BCV Vipps Payments" = X,
        page "BCV Vipps Settlements" = X,
        page "BCV Vipps Findings" = X,
        page "BCV Vipps Activities" = X,
        page "BCV Vipps Payment API" = X,
        page "BCV Vipps Settlement API" = X,
        page "BCV Vipps Finding API" = X;
}
