pageextension 50100 "BCV Customer Card" extends "Customer Card"
{
    actions
    {
        addlast(processing)
        {
            action(BCVRequestCustomerInformation)
            {
                ApplicationArea = All;
                Caption = 'Request Customer Information';
                ToolTip = 'Asks the customer in the Vipps MobilePay app to share name, address and email, and updates the card when they consent.';
                Image = ContactReference;
                Enabled = not BCVRequestPending;

                trigger OnAction()
                var
                    Status: Text;
                    BindingMessage: Text;
                begin
                    BCVCustomerInfoRequest.Start(Rec, BCVRequestId, Status, BindingMessage);
                    BCVRequestCustomerId := Rec.SystemId;
                    BCVRequestPending := BCVCustomerInfoRequest.IsPending(Status);
                    if BCVRequestPending then
                        BCVEnqueuePoll()
                    else
                        BCVCustomerInfoRequest.ShowResult(BCVLastResponse());
                end;
            }
            action(BCVCancelCustomerInformation)
            {
                ApplicationArea = All;
                Caption = 'Cancel Customer Information Request';
                ToolTip = 'Cancels the request that is waiting for the customer''s answer.';
                Image = Cancel;
                Enabled = BCVRequestPending;

                trigger OnAction()
                begin
                    BCVCustomerInfoRequest.Cancel(BCVRequestId);
                    BCVRequestPending := false;
                end;
            }
        }
    }

    var
        BCVCustomerInfoRequest: Codeunit "BCV Customer Info Request";
        BCVRequestId: Text;
        BCVRequestPending: Boolean;
        BCVRequestCustomerId: Guid;
        BCVPollTaskId: Integer;
        BCVPollFailedMsg: Label 'Waiting for the customer''s answer failed: %1. The connector still completes the request; reopen the card later.', Comment = '%1 = error';

    trigger OnAfterGetCurrRecord()
    begin
        // Moving to another customer cancels the page background task; the globals must not carry the
        // old request over (Cancel would otherwise cancel the previous customer's request).
        if BCVRequestPending and (Rec.SystemId <> BCVRequestCustomerId) then
            BCVRequestPending := false;
    end;

    trigger OnPageBackgroundTaskCompleted(TaskId: Integer; Results: Dictionary of [Text, Text])
    var
        Response: JsonObject;
    begin
        if TaskId <> BCVPollTaskId then
            exit;
        if BCVCustomerInfoRequest.IsPending(Results.Get('Status')) then begin
            BCVEnqueuePoll();
            exit;
        end;
        BCVRequestPending := false;
        Response.ReadFrom(Results.Get('Response'));
        // The connector has written the Customer: show what is in the database now.
        CurrPage.Update(false);
        BCVCustomerInfoRequest.ShowResult(Response);
    end;

    trigger OnPageBackgroundTaskError(TaskId: Integer; ErrorCode: Text; ErrorText: Text; ErrorCallStack: Text; var IsHandled: Boolean)
    begin
        if TaskId <> BCVPollTaskId then
            exit;
        BCVRequestPending := false;
        IsHandled := true;
        Message(BCVPollFailedMsg, ErrorText);
    end;

    local procedure BCVEnqueuePoll()
    var
        Setup: Record "BCV Vipps Setup";
        Parameters: Dictionary of [Text, Text];
    begin
        // Read only: users have R on the setup, and Start has already checked that it exists.
        if not Setup.Get() then
            Setup.Init();
        Parameters.Add('RequestId', BCVRequestId);
        Parameters.Add('WaitSeconds', Format(Setup."Long-Poll Seconds"));
        // One long-poll per task (at most 60 s); the timeout leaves room for the HTTP round trip.
        CurrPage.EnqueueBackgroundTask(BCVPollTaskId, Codeunit::"BCV Cust. Info Poll Task", Parameters, 90000, PageBackgroundTaskErrorLevel::Warning);
    end;

    local procedure BCVLastResponse() Response: JsonObject
    begin
        // The request is already final (e.g. failed at once): read it as it is, without waiting.
        BCVCustomerInfoRequest.Poll(BCVRequestId, 0, Response);
    end;
}
