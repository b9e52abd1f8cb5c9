permissionset 50100 "BCV VIPPS ADMIN"
{
    Caption = 'Vipps connector: set up and read everything';
    Assignable = true;
    IncludedPermissionSets = "BCV VIPPS USER";

    Permissions =
        tabledata "BCV Vipps Setup" = RIMD,
        page "BCV Vipps Setup" = X;
}
