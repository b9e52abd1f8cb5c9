/// <summary>
/// Page background task of Request Customer Information: one long-poll of the request
/// (GET /v1/customer-info-requests/{id}?wait=N). The Customer Card enqueues it again while the
/// request is pending, so each task stays well inside the background task timeout.
/// Parameters: RequestId, WaitSeconds. Results: Status, Response (the request as JSON text).
/// </summary>
codeunit 50102 "BCV Cust. Info Poll Task"
{
    Access = Internal;

    trigger OnRun()
    var
        CustomerInfoRequest: Codeunit "BCV Customer Info Request";
        ConnectorClient: Codeunit "BCV Connector Client";
        Parameters: Dictionary of [Text, Text];
        Results: Dictionary of [Text, Text];
        Response: JsonObject;
        ResponseText: Text;
        WaitSeconds: Integer;
    begin
        Parameters := Page.GetBackgroundParameters();
        if not Evaluate(WaitSeconds, Parameters.Get('WaitSeconds')) then
            WaitSeconds := 50;
        CustomerInfoRequest.Poll(Parameters.Get('RequestId'), WaitSeconds, Response);
        Response.WriteTo(ResponseText);
        Results.Add('Status', ConnectorClient.GetText(Response, 'status'));
        Results.Add('Response', ResponseText);
        Page.SetBackgroundTaskResult(Results);
    end;
}
