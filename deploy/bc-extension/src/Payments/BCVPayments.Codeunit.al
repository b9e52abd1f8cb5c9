/// <summary>
/// Vipps MobilePay payments at the till for POS integrators (DESIGN §4, J4). Amounts are integers in minor
/// units (øre, cents) with a separate currency code (NOK, DKK, EUR). Every POST takes an Idempotency-Key: use a
/// new key per payment or operation and the same key when retrying after a timeout.
/// Each procedure returns the payment as the connector answers it (id, reference, status, amounts, error).
/// </summary>
codeunit 50104 "BCV Payments"
{
    Access = Public;

    var
        ConnectorClient: Codeunit "BCV Connector Client";
        CreatePathTxt: Label '/v1/payments', Locked = true;
        GetPathTxt: Label '/v1/payments/%1?wait=%2', Locked = true;
        FindPathTxt: Label '/v1/payments?reference=%1', Locked = true;
        CapturePathTxt: Label '/v1/payments/%1/capture', Locked = true;
        RefundPathTxt: Label '/v1/payments/%1/refund', Locked = true;
        CancelPathTxt: Label '/v1/payments/%1/cancel', Locked = true;
        OneCustomerErr: Label 'Give exactly one of phone number, QR code and customer token.';
        NoKeyErr: Label 'An Idempotency-Key is required.';

    /// <summary>
    /// Creates the payment and sends the push to the customer (201, status created). Give exactly one of
    /// PhoneNumber, QrCode and CustomerToken; Reference, PosId, ReceiptNumber and MemberId may be empty.
    /// </summary>
    procedure CreatePayment(Amount: BigInteger; CurrencyCode: Code[3]; PhoneNumber: Text; QrCode: Text; CustomerToken: Text; Description: Text; Reference: Text; PosId: Text; ReceiptNumber: Text; MemberId: Text; IdempotencyKey: Text) Payment: JsonObject
    var
        Body: JsonObject;
        Given: Integer;
    begin
        CheckKey(IdempotencyKey);
        if PhoneNumber <> '' then
            Given += 1;
        if QrCode <> '' then
            Given += 1;
        if CustomerToken <> '' then
            Given += 1;
        if Given <> 1 then
            Error(OneCustomerErr);

        Body.Add('amount', Amount);
        Body.Add('currency', CurrencyCode);
        if PhoneNumber <> '' then
            Body.Add('phoneNumber', PhoneNumber);
        if QrCode <> '' then
            Body.Add('qrCode', QrCode);
        if CustomerToken <> '' then
            Body.Add('customerToken', CustomerToken);
        Body.Add('description', Description);
        if Reference <> '' then
            Body.Add('reference', Reference);
        if PosId <> '' then
            Body.Add('posId', PosId);
        if ReceiptNumber <> '' then
            Body.Add('receiptNumber', ReceiptNumber);
        if MemberId <> '' then
            Body.Add('memberId', MemberId);
        exit(CreatePayment(Body, IdempotencyKey));
    end;

    /// <summary>
    /// Creates the payment from a body the caller builds (POST /v1/payments, DESIGN §4), for the fields the
    /// procedure above does not take: salesUnit (the sales unit's MSN), captureOnAuthorize, shareProfile (an
    /// array of profile fields, e.g. phoneNumber) and orderLines (see AddOrderLine). The connector checks
    /// the body and answers 400 naming the field it refuses.
    /// </summary>
    procedure CreatePayment(Body: JsonObject; IdempotencyKey: Text) Payment: JsonObject
    begin
        CheckKey(IdempotencyKey);
        ConnectorClient.Post(CreatePathTxt, Body, IdempotencyKey, Payment);
    end;

    /// <summary>
    /// Adds one receipt line (Vipps OrderLine fields) to OrderLines; give the array to CreatePayment's body as
    /// orderLines (Body.Add('orderLines', OrderLines)). Amounts are in minor units and include tax; TaxRate is
    /// in hundredths of a percent (2500 for 25 %). The lines' totals must add up to the payment's amount.
    /// </summary>
    procedure AddOrderLine(var OrderLines: JsonArray; LineId: Text; Name: Text; TotalAmount: BigInteger; TotalTaxAmount: BigInteger; TaxRate: Integer)
    var
        Line: JsonObject;
    begin
        Line.Add('id', LineId);
        Line.Add('name', Name);
        Line.Add('totalAmount', TotalAmount);
        Line.Add('totalAmountExcludingTax', TotalAmount - TotalTaxAmount);
        Line.Add('totalTaxAmount', TotalTaxAmount);
        Line.Add('taxRate', TaxRate);
        OrderLines.Add(Line);
    end;

    /// <summary>One long-poll (GET /v1/payments/{id}?wait=N): answers as soon as the status or an amount changes.</summary>
    procedure GetPayment(PaymentId: Text; WaitSeconds: Integer) Payment: JsonObject
    begin
        ConnectorClient.Get(StrSubstNo(GetPathTxt, PaymentId, WaitSeconds), Payment);
    end;

    /// <summary>Waits until the payment is no longer created (authorized, aborted, expired, failed, ...), at most MaxSeconds.</summary>
    procedure WaitForPayment(PaymentId: Text; MaxSeconds: Integer) Payment: JsonObject
    var
        StartedAt: DateTime;
    begin
        StartedAt := CurrentDateTime();
        repeat
            Payment := GetPayment(PaymentId, 50);
        until (GetStatus(Payment) <> 'created') or (CurrentDateTime() - StartedAt >= MaxSeconds * 1000);
    end;

    /// <summary>The payments with the POS's reference (at most one per sales unit).</summary>
    procedure FindByReference(Reference: Text) Payments: JsonArray
    var
        Response: JsonObject;
    begin
        ConnectorClient.Get(StrSubstNo(FindPathTxt, Reference), Response);
        Payments := ConnectorClient.GetArray(Response, 'items');
    end;

    /// <summary>Captures Amount (minor units); 0 captures everything authorized and not yet captured.</summary>
    procedure Capture(PaymentId: Text; Amount: BigInteger; IdempotencyKey: Text) Payment: JsonObject
    var
        Body: JsonObject;
    begin
        CheckKey(IdempotencyKey);
        if Amount > 0 then
            Body.Add('amount', Amount);
        ConnectorClient.Post(StrSubstNo(CapturePathTxt, PaymentId), Body, IdempotencyKey, Payment);
    end;

    /// <summary>Refunds Amount (minor units), at most what is captured and not yet refunded.</summary>
    procedure Refund(PaymentId: Text; Amount: BigInteger; IdempotencyKey: Text) Payment: JsonObject
    var
        Body: JsonObject;
    begin
        CheckKey(IdempotencyKey);
        Body.Add('amount', Amount);
        ConnectorClient.Post(StrSubstNo(RefundPathTxt, PaymentId), Body, IdempotencyKey, Payment);
    end;

    /// <summary>Cancels what is authorized and not captured.</summary>
    procedure Cancel(PaymentId: Text; IdempotencyKey: Text) Payment: JsonObject
    var
        Body: JsonObject;
    begin
        CheckKey(IdempotencyKey);
        ConnectorClient.Post(StrSubstNo(CancelPathTxt, PaymentId), Body, IdempotencyKey, Payment);
    end;

    procedure GetId(Payment: JsonObject): Text
    begin
        exit(ConnectorClient.GetText(Payment, 'id'));
    end;

    procedure GetReference(Payment: JsonObject): Text
    begin
        exit(ConnectorClient.GetText(Payment, 'reference'));
    end;

    /// <summary>created, authorized, captured, refunded, cancelled, aborted, expired or failed.</summary>
    procedure GetStatus(Payment: JsonObject): Text
    begin
        exit(ConnectorClient.GetText(Payment, 'status'));
    end;

    procedure GetAuthorizedAmount(Payment: JsonObject): BigInteger
    begin
        exit(ConnectorClient.GetBigInteger(Payment, 'authorizedAmount'));
    end;

    procedure GetCapturedAmount(Payment: JsonObject): BigInteger
    begin
        exit(ConnectorClient.GetBigInteger(Payment, 'capturedAmount'));
    end;

    procedure GetRefundedAmount(Payment: JsonObject): BigInteger
    begin
        exit(ConnectorClient.GetBigInteger(Payment, 'refundedAmount'));
    end;

    /// <summary>
    /// True while an operation (capture, refund, cancel) is stored but not yet confirmed by Vipps MobilePay: the
    /// connector answered 202 because Vipps was unreachable, and retries it with the same key until Vipps answers.
    /// The amounts are Vipps' own, so they do not include it yet; GetPayment shows when it is done.
    /// </summary>
    procedure HasPendingOperation(Payment: JsonObject): Boolean
    var
        Operations: JsonArray;
        Item: JsonToken;
    begin
        Operations := ConnectorClient.GetArray(Payment, 'operations');
        foreach Item in Operations do
            if Item.IsObject() then
                if ConnectorClient.GetText(Item.AsObject(), 'status') = 'pending' then
                    exit(true);
        exit(false);
    end;

    /// <summary>Why a payment failed (error.title and error.detail); empty when it did not.</summary>
    procedure GetErrorText(Payment: JsonObject): Text
    var
        ErrorObject: JsonObject;
    begin
        if ConnectorClient.GetObject(Payment, 'error', ErrorObject) then
            exit(ConnectorClient.ProblemText(ErrorObject));
    end;

    local procedure CheckKey(IdempotencyKey: Text)
    begin
        if IdempotencyKey = '' then
            Error(NoKeyErr);
    end;
}
