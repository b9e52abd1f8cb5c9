/// <summary>
/// Users of the Customer Card action, the POS assist and the payments codeunit. They read payments,
/// settlements and findings; only the connector's Entra app writes them (BCV VIPPS CONNECTOR).
/// </summary>
permissionset 50101 "BCV VIPPS USER"
{
    Caption = 'Vipps connector: use', MaxLength = 30;
    Assignable = true;

    Permissions =
        tabledata "BCV Vipps Setup" = R,
        tabledata "BCV Vipps Payment" = R,
        tabledata "BCV Vipps Settlement" = R,
        tabledata "BCV Vipps Finding" = R,
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
        page "BCV Vipps Activities" = X;
}
