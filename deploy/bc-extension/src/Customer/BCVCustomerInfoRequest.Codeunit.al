/// <summary>
/// Request Customer Information (DESIGN §4, J1): asks the customer in the Vipps MobilePay app to share
/// their profile; the connector writes the Customer when they consent.
/// </summary>
codeunit 50101 "BCV Customer Info Request"
{
    Access = Public;

    var
        ConnectorClient: Codeunit "BCV Connector Client";
        CreatePathTxt: Label '/v1/customer-info-requests', Locked = true;
        PollPathTxt: Label '/v1/customer-info-requests/%1?wait=%2', Locked = true;
        CancelPathTxt: Label '/v1/customer-info-requests/%1', Locked = true;
        NoPhoneErr: Label 'Customer %1 has no mobile phone number or phone number.', Comment = '%1 = customer number';
        StartedMsg: Label 'A request was sent to %1 in the Vipps MobilePay app.\The customer sees the code: %2\\The card is updated when the customer answers.', Comment = '%1 = phone number, %2 = binding message';
        StartedNoCodeMsg: Label 'A request was sent to %1 in the Vipps MobilePay app. The card is updated when the customer answers.', Comment = '%1 = phone number';
        CompletedMsg: Label 'The customer shared their information and the card was updated.';
        ChangesHeaderTxt: Label 'Changes:';
        ChangeLineTxt: Label '%1: "%2" -> "%3"', Comment = '%1 = field, %2 = old value, %3 = new value';
        NoChangesTxt: Label 'Nothing needed to change.';
        WarningsHeaderTxt: Label 'Warnings:';
        WarningLineTxt: Label '%1: %2', Comment = '%1 = field or code, %2 = reason';
        RejectedErr: Label 'The customer declined to share their information in the Vipps MobilePay app.';
        ExpiredErr: Label 'The customer did not answer in time. Start a new request if they still want to share their information.';
        FailedErr: Label 'The request failed: %1', Comment = '%1 = problem title and detail';
        CancelledErr: Label 'The request was cancelled.';
        UnknownStatusErr: Label 'The request ended with the unexpected status %1.', Comment = '%1 = status';
        PendingQst: Label 'A request for this phone number is already waiting for the customer in the Vipps MobilePay app. Cancel it and send a new one?';
        PlainMsg: Label '%1', Locked = true;

    /// <summary>Starts the request for the customer; returns its id, status and binding message.</summary>
    procedure Start(Customer: Record Customer; var RequestId: Text; var Status: Text; var BindingMessage: Text)
    var
        Setup: Record "BCV Vipps Setup";
        Body: JsonObject;
        Response: JsonObject;
        PhoneNumber: Text;
    begin
        PhoneNumber := Customer."Mobile Phone No.";
        if PhoneNumber = '' then
            PhoneNumber := Customer."Phone No.";
        if PhoneNumber = '' then
            Error(NoPhoneErr, Customer."No.");

        ConnectorClient.GetSetup(Setup);
        Body.Add('customerId', Format(Customer.SystemId, 0, 4).ToLower());
        Body.Add('phoneNumber', PhoneNumber);
        if Setup."Customer Card Use Case" <> '' then
            Body.Add('useCase', Setup."Customer Card Use Case");

        PostRequest(Body, Response);
        RequestId := ConnectorClient.GetText(Response, 'id');
        Status := ConnectorClient.GetText(Response, 'status');
        BindingMessage := ConnectorClient.GetText(Response, 'bindingMessage');
        if BindingMessage <> '' then
            Message(StartedMsg, PhoneNumber, BindingMessage)
        else
            Message(StartedNoCodeMsg, PhoneNumber);
    end;

    /// <summary>One long-poll: answers as soon as the status changes, at most WaitSeconds later.</summary>
    procedure Poll(RequestId: Text; WaitSeconds: Integer; var Response: JsonObject)
    begin
        ConnectorClient.Get(StrSubstNo(PollPathTxt, RequestId, WaitSeconds), Response);
    end;

    /// <summary>Cancels a pending request.</summary>
    procedure Cancel(RequestId: Text)
    var
        Response: JsonObject;
    begin
        ConnectorClient.Delete(StrSubstNo(CancelPathTxt, RequestId), Response);
    end;

    /// <summary>True while the customer has not answered, or the connector is still writing the Customer.</summary>
    procedure IsPending(Status: Text): Boolean
    begin
        exit(Status in ['pending', 'applying']);
    end;

    /// <summary>Shows the final outcome: the changes and warnings of a completed request, an error otherwise.</summary>
    procedure ShowResult(Response: JsonObject)
    var
        ErrorObject: JsonObject;
        Status: Text;
    begin
        Status := ConnectorClient.GetText(Response, 'status');
        case Status of
            'completed':
                // Through %1: the text holds customer data, which Message must not read as placeholders.
                Message(PlainMsg, CompletedText(Response));
            'rejected':
                Error(RejectedErr);
            'expired':
                Error(ExpiredErr);
            'failed':
                begin
                    ConnectorClient.GetObject(Response, 'error', ErrorObject);
                    Error(FailedErr, ConnectorClient.ProblemText(ErrorObject));
                end;
            'cancelled':
                Error(CancelledErr);
            else
                Error(UnknownStatusErr, Status);
        end;
    end;

    local procedure CompletedText(Response: JsonObject): Text
    var
        Item: JsonToken;
        Changes: JsonArray;
        Warnings: JsonArray;
        Result: TextBuilder;
        FieldOrCode: Text;
    begin
        Result.AppendLine(CompletedMsg);
        Changes := ConnectorClient.GetArray(Response, 'changes');
        if Changes.Count() = 0 then
            Result.AppendLine(NoChangesTxt)
        else begin
            Result.AppendLine(ChangesHeaderTxt);
            foreach Item in Changes do
                if Item.IsObject() then
                    Result.AppendLine(StrSubstNo(ChangeLineTxt,
                        ConnectorClient.GetText(Item.AsObject(), 'field'),
                        ConnectorClient.GetText(Item.AsObject(), 'from'),
                        ConnectorClient.GetText(Item.AsObject(), 'to')));
        end;
        Warnings := ConnectorClient.GetArray(Response, 'warnings');
        if Warnings.Count() > 0 then begin
            Result.AppendLine(WarningsHeaderTxt);
            foreach Item in Warnings do
                if Item.IsObject() then begin
                    FieldOrCode := ConnectorClient.GetText(Item.AsObject(), 'field');
                    if FieldOrCode = '' then
                        FieldOrCode := ConnectorClient.GetText(Item.AsObject(), 'code');
                    Result.AppendLine(StrSubstNo(WarningLineTxt, FieldOrCode, ConnectorClient.GetText(Item.AsObject(), 'reason')));
                end;
        end;
        exit(Result.ToText());
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
