/// <summary>
/// Phone assist for NP Retail's POS member dialog (DESIGN §4, J2).
///
/// NP Retail's page 6060134 "NPR MM Member Info Capture" is public and extensible. A POS integrator, in an
/// extension that depends on both NP Retail and this app, extends that page (a pageextension adding an action
/// next to the phone field, or an assist-edit on an added field; NP Retail's own OnAssistEdit of
/// "Auxiliary Phone No." cannot be replaced, so set "MembCapt PhoneNo. OnAssistEdit" in
/// "Member Info Integration Setup" to blank) and calls RequestMemberInfo with the typed phone number or the
/// scanned personal QR code, then copies the buffer into Rec. See deploy/bc-extension/README.md for the code.
/// This app has no dependency on NP Retail, so it does not reference NP Retail's objects itself.
/// </summary>
codeunit 50103 "BCV POS Member Assist"
{
    Access = Public;

    var
        ConnectorClient: Codeunit "BCV Connector Client";
        CreatePathTxt: Label '/v1/member-info-requests', Locked = true;
        PollPathTxt: Label '/v1/member-info-requests/%1?wait=%2', Locked = true;
        CancelPathTxt: Label '/v1/member-info-requests/%1', Locked = true;
        NoPhoneErr: Label 'Enter the customer''s phone number or scan their Vipps MobilePay QR code first.';
        WaitingTxt: Label 'Waiting for the customer to confirm in the Vipps MobilePay app.\Code: #1####################', Comment = '#1 = binding message';
        RejectedErr: Label 'The customer declined to share their information.';
        ExpiredErr: Label 'The customer did not answer in time.';
        TimedOutErr: Label 'The customer did not answer within %1 seconds; the request was cancelled.', Comment = '%1 = seconds';
        FailedErr: Label 'The request failed: %1', Comment = '%1 = problem title and detail';
        CancelledErr: Label 'The request was cancelled.';
        PendingQst: Label 'A request for this phone number is already waiting for the customer in the Vipps MobilePay app. Cancel it and send a new one?';
        MaxWaitSeconds: Integer;

    /// <summary>
    /// Asks the customer (by phone number, or by scanned QR code when PhoneNumber starts with http or QrCode is
    /// given) to share their information, waits up to about two minutes and returns the member fields.
    /// Errors with a clear message when the customer declines, does not answer, or the request fails.
    /// </summary>
    procedure RequestMemberInfo(PhoneNumber: Text; QrCode: Text; var TempMemberInfo: Record "BCV Member Info Buffer" temporary)
    begin
        RequestMemberInfo(PhoneNumber, QrCode, '', TempMemberInfo);
    end;

    /// <summary>As RequestMemberInfo, updating the existing NP Retail member MemberId (its SystemId).</summary>
    procedure RequestMemberInfo(PhoneNumber: Text; QrCode: Text; MemberId: Text; var TempMemberInfo: Record "BCV Member Info Buffer" temporary)
    var
        Response: JsonObject;
    begin
        Response := RequestMemberInfoJson(PhoneNumber, QrCode, MemberId);
        ToBuffer(Response, TempMemberInfo);
    end;

    /// <summary>The final request as JSON (status completed; member holds the fields).</summary>
    procedure RequestMemberInfoJson(PhoneNumber: Text; QrCode: Text; MemberId: Text) Response: JsonObject
    var
        Setup: Record "BCV Vipps Setup";
        Body: JsonObject;
        Window: Dialog;
        RequestId: Text;
        Status: Text;
        BindingMessage: Text;
        StartedAt: DateTime;
    begin
        if (QrCode = '') and PhoneNumber.StartsWith('http') then begin
            QrCode := PhoneNumber;
            PhoneNumber := '';
        end;
        if (PhoneNumber = '') and (QrCode = '') then
            Error(NoPhoneErr);

        ConnectorClient.GetSetup(Setup);
        if QrCode <> '' then
            Body.Add('qrCode', QrCode)
        else
            Body.Add('phoneNumber', PhoneNumber);
        if Setup."POS Member Use Case" <> '' then
            Body.Add('useCase', Setup."POS Member Use Case");
        if MemberId <> '' then
            Body.Add('memberId', MemberId);

        PostRequest(Body, Response);
        RequestId := ConnectorClient.GetText(Response, 'id');
        Status := ConnectorClient.GetText(Response, 'status');
        BindingMessage := ConnectorClient.GetText(Response, 'bindingMessage');

        // Dialog.Open binds its values by reference (var Any): pass a variable, not an expression.
        if GuiAllowed() then
            Window.Open(WaitingTxt, BindingMessage);
        StartedAt := CurrentDateTime();
        while (Status in ['pending', 'applying']) and (CurrentDateTime() - StartedAt < GetMaxWaitSeconds() * 1000) do begin
            ConnectorClient.Get(StrSubstNo(PollPathTxt, RequestId, Setup."Long-Poll Seconds"), Response);
            Status := ConnectorClient.GetText(Response, 'status');
        end;
        if GuiAllowed() then
            Window.Close();

        if Status in ['pending', 'applying'] then begin
            ConnectorClient.Delete(StrSubstNo(CancelPathTxt, RequestId), Response);
            Error(TimedOutErr, GetMaxWaitSeconds());
        end;
        CheckCompleted(Response);
    end;

    /// <summary>How long RequestMemberInfo waits for the customer (default 120 seconds).</summary>
    procedure SetMaxWaitSeconds(Seconds: Integer)
    begin
        MaxWaitSeconds := Seconds;
    end;

    local procedure GetMaxWaitSeconds(): Integer
    begin
        if MaxWaitSeconds <= 0 then
            exit(120);
        exit(MaxWaitSeconds);
    end;

    local procedure CheckCompleted(Response: JsonObject)
    var
        ErrorObject: JsonObject;
    begin
        case ConnectorClient.GetText(Response, 'status') of
            'completed':
                exit;
            'rejected':
                Error(RejectedErr);
            'expired':
                Error(ExpiredErr);
            'cancelled':
                Error(CancelledErr);
            else begin
                ConnectorClient.GetObject(Response, 'error', ErrorObject);
                Error(FailedErr, ConnectorClient.ProblemText(ErrorObject));
            end;
        end;
    end;

    /// <summary>The answer's warnings (what was shortened or left out, a name that differs), separated by '; '.</summary>
    local procedure WarningsText(Response: JsonObject) Result: Text
    var
        Warnings: JsonArray;
        Item: JsonToken;
    begin
        Warnings := ConnectorClient.GetArray(Response, 'warnings');
        foreach Item in Warnings do
            if Item.IsObject() then begin
                if Result <> '' then
                    Result += '; ';
                Result += ConnectorClient.GetText(Item.AsObject(), 'reason');
            end;
    end;

    local procedure ToBuffer(Response: JsonObject; var TempMemberInfo: Record "BCV Member Info Buffer" temporary)
    var
        Member: JsonObject;
        BirthdayDate: Date;
    begin
        TempMemberInfo.Reset();
        TempMemberInfo.DeleteAll();
        TempMemberInfo.Init();
        TempMemberInfo."Entry No." := 1;
        TempMemberInfo."Request Id" := CopyStr(ConnectorClient.GetText(Response, 'id'), 1, MaxStrLen(TempMemberInfo."Request Id"));
        if ConnectorClient.GetObject(Response, 'member', Member) then begin
            TempMemberInfo."Member Id" := CopyStr(ConnectorClient.GetText(Member, 'memberId'), 1, MaxStrLen(TempMemberInfo."Member Id"));
            TempMemberInfo."First Name" := CopyStr(ConnectorClient.GetText(Member, 'firstName'), 1, MaxStrLen(TempMemberInfo."First Name"));
            TempMemberInfo."Middle Name" := CopyStr(ConnectorClient.GetText(Member, 'middleName'), 1, MaxStrLen(TempMemberInfo."Middle Name"));
            TempMemberInfo."Last Name" := CopyStr(ConnectorClient.GetText(Member, 'lastName'), 1, MaxStrLen(TempMemberInfo."Last Name"));
            TempMemberInfo."E-Mail Address" := CopyStr(ConnectorClient.GetText(Member, 'email'), 1, MaxStrLen(TempMemberInfo."E-Mail Address"));
            TempMemberInfo."Phone No." := CopyStr(ConnectorClient.GetText(Member, 'phoneNo'), 1, MaxStrLen(TempMemberInfo."Phone No."));
            // birthday is YYYY-MM-DD (XML format 9).
            if Evaluate(BirthdayDate, ConnectorClient.GetText(Member, 'birthday'), 9) then
                TempMemberInfo.Birthday := BirthdayDate;
            TempMemberInfo.Address := CopyStr(ConnectorClient.GetText(Member, 'address'), 1, MaxStrLen(TempMemberInfo.Address));
            TempMemberInfo."Post Code" := CopyStr(ConnectorClient.GetText(Member, 'postCode'), 1, MaxStrLen(TempMemberInfo."Post Code"));
            TempMemberInfo.City := CopyStr(ConnectorClient.GetText(Member, 'city'), 1, MaxStrLen(TempMemberInfo.City));
            TempMemberInfo.Country := CopyStr(ConnectorClient.GetText(Member, 'country'), 1, MaxStrLen(TempMemberInfo.Country));
            TempMemberInfo.Newsletter := CopyStr(ConnectorClient.GetText(Member, 'newsletter'), 1, MaxStrLen(TempMemberInfo.Newsletter));
            TempMemberInfo."GDPR Consent" := CopyStr(ConnectorClient.GetText(Member, 'gdprConsent'), 1, MaxStrLen(TempMemberInfo."GDPR Consent"));
            // NP Retail's option names: NOT_SPECIFIED, MALE, FEMALE, OTHER.
            TempMemberInfo.Gender := CopyStr(ConnectorClient.GetText(Member, 'gender'), 1, MaxStrLen(TempMemberInfo.Gender));
        end;
        TempMemberInfo.Warnings := CopyStr(WarningsText(Response), 1, MaxStrLen(TempMemberInfo.Warnings));
        TempMemberInfo.Insert();
    end;

    /// <summary>
    /// Posts the request. When the connector answers that a request for this phone number is already waiting
    /// for the customer (409 login-pending, one of this company's own), asks whether to cancel that one and send
    /// a new one; otherwise raises the connector's problem.
    /// </summary>
    local procedure PostRequest(Body: JsonObject; var Response: JsonObject)
    var
        Problem: JsonObject;
        CancelResponse: JsonObject;
        StatusCode: Integer;
        PendingId: Text;
    begin
        StatusCode := ConnectorClient.TryPost(CreatePathTxt, Body, ConnectorClient.NewIdempotencyKey(), Response, Problem);
        if StatusCode in [200 .. 299] then
            exit;
        PendingId := ConnectorClient.GetText(Problem, 'pendingRequestId');
        if (StatusCode = 409) and ConnectorClient.IsProblemType(Problem, 'login-pending') and (PendingId <> '') and GuiAllowed() then
            if Confirm(PendingQst) then begin
                ConnectorClient.Delete(StrSubstNo(CancelPathTxt, PendingId), CancelResponse);
                ConnectorClient.Post(CreatePathTxt, Body, ConnectorClient.NewIdempotencyKey(), Response);
                exit;
            end;
        ConnectorClient.RaiseProblem(StatusCode, Problem);
    end;
}
