/// <summary>
/// HTTP client of the bcvipps connector (DESIGN §4): Bearer API key, JSON bodies, Idempotency-Key on POST,
/// and RFC 9457 problem+json answers turned into a clear error message.
/// Paths are relative to the connector URL of "BCV Vipps Setup", e.g. '/v1/payments'.
/// </summary>
codeunit 50100 "BCV Connector Client"
{
    Access = Public;

    var
        Setup: Record "BCV Vipps Setup";
        SetupRead: Boolean;
        NoSetupErr: Label 'The Vipps connector is not set up. Open the Vipps Setup page and enter the connector URL and API key.';
        NotReachableErr: Label 'The Vipps connector could not be reached: %1', Comment = '%1 = the transport error';
        ProblemErr: Label 'The Vipps connector refused the request (HTTP %1): %2', Comment = '%1 = HTTP status, %2 = problem title and detail';
        FieldReasonTxt: Label '%1: %2', Locked = true;
        UnexpectedErr: Label 'The Vipps connector answered HTTP %1 with an unexpected body.', Comment = '%1 = HTTP status';
        BearerTxt: Label 'Bearer %1', Locked = true;
        JsonContentTypeTxt: Label 'application/json', Locked = true;
        ProblemTypeBaseTxt: Label 'https://bcvipps.dev/problems/', Locked = true;

    /// <summary>GET Path; errors on a transport failure or a non-2xx answer.</summary>
    procedure Get(Path: Text; var Response: JsonObject)
    var
        StatusCode: Integer;
        ResponseText: Text;
    begin
        Send('GET', Path, '', '', true, StatusCode, ResponseText);
        ReadResponse(StatusCode, ResponseText, Response);
    end;

    /// <summary>POST Body to Path with the Idempotency-Key; errors on a transport failure or a non-2xx answer.</summary>
    procedure Post(Path: Text; Body: JsonObject; IdempotencyKey: Text; var Response: JsonObject)
    var
        StatusCode: Integer;
        BodyText: Text;
        ResponseText: Text;
    begin
        Body.WriteTo(BodyText);
        Send('POST', Path, BodyText, IdempotencyKey, true, StatusCode, ResponseText);
        ReadResponse(StatusCode, ResponseText, Response);
    end;

    /// <summary>
    /// POST Body to Path and return the HTTP status (200 for an answer the Idempotency-Key already had, 201, 202
    /// for accepted work): a 2xx body is read into Response, a problem+json answer into Problem, without raising
    /// an error, so the caller can branch on the problem's type (IsProblemType) and raise it with RaiseProblem.
    /// Errors on a transport failure or a body that is not JSON.
    /// </summary>
    procedure TryPost(Path: Text; Body: JsonObject; IdempotencyKey: Text; var Response: JsonObject; var Problem: JsonObject) StatusCode: Integer
    var
        BodyText: Text;
        ResponseText: Text;
    begin
        Body.WriteTo(BodyText);
        Send('POST', Path, BodyText, IdempotencyKey, true, StatusCode, ResponseText);
        Clear(Problem);
        if StatusCode in [200 .. 299] then begin
            ReadResponse(StatusCode, ResponseText, Response);
            exit(StatusCode);
        end;
        Clear(Response);
        if not Problem.ReadFrom(ResponseText) then
            Error(UnexpectedErr, StatusCode);
    end;

    /// <summary>True when Problem has the connector's problem type Name (e.g. 'login-pending'); branch on the type, never the title.</summary>
    procedure IsProblemType(Problem: JsonObject; Name: Text): Boolean
    begin
        exit(GetText(Problem, 'type') = ProblemTypeBaseTxt + Name);
    end;

    /// <summary>Raises the error of a problem answer, as Post does.</summary>
    procedure RaiseProblem(StatusCode: Integer; Problem: JsonObject)
    begin
        Error(ProblemErr, StatusCode, ProblemText(Problem));
    end;

    /// <summary>DELETE Path; errors on a transport failure or a non-2xx answer.</summary>
    procedure Delete(Path: Text; var Response: JsonObject)
    var
        StatusCode: Integer;
        ResponseText: Text;
    begin
        Send('DELETE', Path, '', '', true, StatusCode, ResponseText);
        ReadResponse(StatusCode, ResponseText, Response);
    end;

    /// <summary>GET Path without raising an error for a non-2xx answer; false (with GetLastErrorText) when the connector is unreachable.</summary>
    [TryFunction]
    procedure TryGet(Path: Text; Authenticated: Boolean; var StatusCode: Integer; var ResponseText: Text)
    begin
        Send('GET', Path, '', '', Authenticated, StatusCode, ResponseText);
    end;

    /// <summary>A new Idempotency-Key: a GUID without braces.</summary>
    procedure NewIdempotencyKey(): Text
    begin
        exit(Format(CreateGuid(), 0, 4).ToLower());
    end;

    /// <summary>The error text of a problem+json body: title, detail and each errors[] field and reason.</summary>
    procedure ProblemText(Problem: JsonObject): Text
    var
        Errors: JsonArray;
        ErrorToken: JsonToken;
        Description: TextBuilder;
    begin
        Description.Append(GetText(Problem, 'title'));
        if GetText(Problem, 'detail') <> '' then begin
            Description.Append(' - ');
            Description.Append(GetText(Problem, 'detail'));
        end;
        Errors := GetArray(Problem, 'errors');
        foreach ErrorToken in Errors do
            if ErrorToken.IsObject() then begin
                Description.Append(' ');
                Description.Append(StrSubstNo(FieldReasonTxt, GetText(ErrorToken.AsObject(), 'field'), GetText(ErrorToken.AsObject(), 'reason')));
            end;
        exit(Description.ToText());
    end;

    procedure GetText(Json: JsonObject; Name: Text): Text
    var
        Token: JsonToken;
    begin
        if not Json.Get(Name, Token) then
            exit('');
        if not Token.IsValue() then
            exit('');
        if Token.AsValue().IsNull() then
            exit('');
        exit(Token.AsValue().AsText());
    end;

    procedure GetBigInteger(Json: JsonObject; Name: Text): BigInteger
    var
        Token: JsonToken;
    begin
        if not Json.Get(Name, Token) then
            exit(0);
        if not Token.IsValue() then
            exit(0);
        if Token.AsValue().IsNull() then
            exit(0);
        exit(Token.AsValue().AsBigInteger());
    end;

    procedure GetObject(Json: JsonObject; Name: Text; var Result: JsonObject): Boolean
    var
        Token: JsonToken;
    begin
        if not Json.Get(Name, Token) then
            exit(false);
        if not Token.IsObject() then
            exit(false);
        Result := Token.AsObject();
        exit(true);
    end;

    procedure GetArray(Json: JsonObject; Name: Text): JsonArray
    var
        Token: JsonToken;
        Empty: JsonArray;
    begin
        if Json.Get(Name, Token) then
            if Token.IsArray() then
                exit(Token.AsArray());
        exit(Empty);
    end;

    [NonDebuggable]
    local procedure Send(Method: Text; Path: Text; BodyText: Text; IdempotencyKey: Text; Authenticated: Boolean; var StatusCode: Integer; var ResponseText: Text)
    var
        Client: HttpClient;
        Request: HttpRequestMessage;
        Response: HttpResponseMessage;
        Headers: HttpHeaders;
        ContentHeaders: HttpHeaders;
        Content: HttpContent;
    begin
        ReadSetup();
        Request.Method := Method;
        Request.SetRequestUri(Setup."Connector URL" + Path);
        Request.GetHeaders(Headers);
        Headers.Add('Accept', 'application/json, application/problem+json');
        if Authenticated then
            Headers.Add('Authorization', SecretStrSubstNo(BearerTxt, Setup.GetApiKey()));
        if IdempotencyKey <> '' then
            Headers.Add('Idempotency-Key', IdempotencyKey);
        if Method = 'POST' then begin
            Content.WriteFrom(BodyText);
            Content.GetHeaders(ContentHeaders);
            if ContentHeaders.Contains('Content-Type') then
                ContentHeaders.Remove('Content-Type');
            ContentHeaders.Add('Content-Type', JsonContentTypeTxt);
            Request.Content := Content;
        end;
        // A long-poll (?wait=50) must not be cut off by the client.
        Client.Timeout := 120000;
        if not Client.Send(Request, Response) then
            Error(NotReachableErr, GetLastErrorText());
        StatusCode := Response.HttpStatusCode();
        Response.Content().ReadAs(ResponseText);
    end;

    local procedure ReadResponse(StatusCode: Integer; ResponseText: Text; var Response: JsonObject)
    var
        Problem: JsonObject;
    begin
        Clear(Response);
        if StatusCode in [200 .. 299] then begin
            if ResponseText = '' then
                exit;
            if not Response.ReadFrom(ResponseText) then
                Error(UnexpectedErr, StatusCode);
            exit;
        end;
        if Problem.ReadFrom(ResponseText) then
            Error(ProblemErr, StatusCode, ProblemText(Problem));
        Error(UnexpectedErr, StatusCode);
    end;

    local procedure ReadSetup()
    begin
        if SetupRead then
            exit;
        if not Setup.Get() then
            Error(NoSetupErr);
        if (Setup."Connector URL" = '') or not Setup.HasApiKey() then
            Error(NoSetupErr);
        SetupRead := true;
    end;

    /// <summary>The setup (use cases, long-poll seconds) as read by this client.</summary>
    procedure GetSetup(var VippsSetup: Record "BCV Vipps Setup")
    begin
        ReadSetup();
        VippsSetup := Setup;
    end;
}
