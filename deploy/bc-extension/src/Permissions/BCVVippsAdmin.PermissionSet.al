permissionset 50100 "BCV VIPPS ADMIN"
{
    Caption = 'Vipps connector: setup', MaxLength = 30;
    Assignable = true;
    IncludedPermissionSets = "BCV VIPPS USER";

    Permissions =
        tabledata "BCV Vipps Setup" = RIMD,
        page "BCV Vipps Setup" = X;
}
