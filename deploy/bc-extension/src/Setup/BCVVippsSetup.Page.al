page 50100 "BCV Vipps Setup"
{
    Caption = 'Vipps Setup';
    PageType = Card;
    SourceTable = "BCV Vipps Setup";
    ApplicationArea = All;
    UsageCategory = Administration;
    InsertAllowed = false;
    DeleteAllowed = false;

    layout
    {
        area(Content)
        {
            group(Connector)
            {
                Caption = 'Connector';

                field(ConnectorUrl; Rec."Connector URL")
                {
                    ApplicationArea = All;
                }
                field(ApiKey; ApiKeyText)
                {
                    ApplicationArea = All;
                    Caption = 'API Key';
                    ToolTip = 'Specifies the tenant API key of the connector. It is kept in isolated storage and never shown again.';
                    ExtendedDatatype = Masked;

                    trigger OnValidate()
                    begin
                        Rec.SetApiKey(ApiKeyText);
                        if ApiKeyText <> '' then
                            ApiKeyText := MaskedKeyTxt;
                    end;
                }
                field(ApiKeySet; Rec."API Key Set")
                {
                    ApplicationArea = All;
                }
                field(LongPollSeconds; Rec."Long-Poll Seconds")
                {
                    ApplicationArea = All;
                }
            }
            group(UseCases)
            {
                Caption = 'Use Cases';

                field(CustomerCardUseCase; Rec."Customer Card Use Case")
                {
                    ApplicationArea = All;
                }
                field(POSMemberUseCase; Rec."POS Member Use Case")
                {
                    ApplicationArea = All;
                }
            }
        }
    }

    actions
    {
        area(Processing)
        {
            action(TestConnection)
            {
                ApplicationArea = All;
                Caption = 'Test Connection';
                ToolTip = 'Checks that the connector answers (readyz) and that it accepts the API key.';
                Image = TestDatabase;

                trigger OnAction()
                begin
                    TestConnectorConnection();
                end;
            }
        }
        area(Promoted)
        {
            actionref(TestConnection_Promoted; TestConnection)
            {
            }
        }
    }

    var
        [NonDebuggable]
        ApiKeyText: Text;
        MaskedKeyTxt: Label '********', Locked = true;
        ReadyzPathTxt: Label '/readyz', Locked = true;
        AuthProbePathTxt: Label '/v1/payments?reference=%1', Locked = true;
        AuthProbeReferenceTxt: Label 'bcvipps-test-1', Locked = true;
        NoUrlErr: Label 'Enter the connector URL first.';
        NoKeyErr: Label 'Enter the API key first.';
        NotReachableErr: Label 'The connector could not be reached at %1: %2', Comment = '%1 = URL, %2 = error';
        NotReadyErr: Label 'The connector answered %1 on /readyz: it is running but not ready (its store or configuration). Response: %2', Comment = '%1 = HTTP status, %2 = body';
        KeyRejectedErr: Label 'The connector is ready, but it refused the API key (HTTP %1). Check the key and that its SHA-256 hash is configured for the tenant.', Comment = '%1 = HTTP status';
        AuthCallFailedErr: Label 'The connector is ready, but the authenticated call answered HTTP %1: %2', Comment = '%1 = HTTP status, %2 = body';
        ConnectionOkMsg: Label 'The connector is ready and accepts the API key.';

    trigger OnOpenPage()
    begin
        Rec.GetOrCreate();
        if Rec.HasApiKey() then
            ApiKeyText := MaskedKeyTxt;
    end;

    local procedure TestConnectorConnection()
    var
        ConnectorClient: Codeunit "BCV Connector Client";
        StatusCode: Integer;
        ResponseText: Text;
    begin
        if Rec."Connector URL" = '' then
            Error(NoUrlErr);
        if not Rec.HasApiKey() then
            Error(NoKeyErr);

        // 1. Reachability and readiness, without the key.
        if not ConnectorClient.TryGet(ReadyzPathTxt, false, StatusCode, ResponseText) then
            Error(NotReachableErr, Rec."Connector URL", GetLastErrorText());
        if StatusCode <> 200 then
            Error(NotReadyErr, StatusCode, ResponseText);

        // 2. The API key, on an authenticated endpoint (a reference that need not exist: 200 with no items).
        if not ConnectorClient.TryGet(StrSubstNo(AuthProbePathTxt, AuthProbeReferenceTxt), true, StatusCode, ResponseText) then
            Error(NotReachableErr, Rec."Connector URL", GetLastErrorText());
        if StatusCode in [401, 403] then
            Error(KeyRejectedErr, StatusCode);
        if StatusCode <> 200 then
            Error(AuthCallFailedErr, StatusCode, ResponseText);

        Message(ConnectionOkMsg);
    end;
}
