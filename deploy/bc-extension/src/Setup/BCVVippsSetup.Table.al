/// <summary>
/// The connection to the bcvipps connector: its URL and the use cases this company asks for.
/// The API key is never stored in this table: it is kept in IsolatedStorage (DataScope::Company).
/// </summary>
table 50100 "BCV Vipps Setup"
{
    Caption = 'Vipps Setup';
    DataClassification = CustomerContent;
    Access = Public;
    DataPerCompany = true;

    fields
    {
        field(1; "Primary Key"; Code[10])
        {
            Caption = 'Primary Key';
            DataClassification = SystemMetadata;
            AllowInCustomizations = Never;
        }
        field(2; "Connector URL"; Text[250])
        {
            Caption = 'Connector URL';
            ToolTip = 'Specifies the base URL of the bcvipps connector, e.g. https://bcvipps.example.com.';
            DataClassification = CustomerContent;
            ExtendedDatatype = URL;

            trigger OnValidate()
            begin
                "Connector URL" := CopyStr("Connector URL".TrimEnd('/'), 1, MaxStrLen("Connector URL"));
                if ("Connector URL" <> '') and not "Connector URL".StartsWith('https://') and not "Connector URL".StartsWith('http://localhost') then
                    Error(HttpsRequiredErr);
            end;
        }
        field(3; "Customer Card Use Case"; Text[50])
        {
            Caption = 'Customer Card Use Case';
            ToolTip = 'Specifies the connector use case for Request Customer Information on the Customer Card.';
            DataClassification = CustomerContent;
            InitValue = 'customer-card';
        }
        field(4; "POS Member Use Case"; Text[50])
        {
            Caption = 'POS Member Use Case';
            ToolTip = 'Specifies the connector use case for the phone assist of the POS member dialog.';
            DataClassification = CustomerContent;
            InitValue = 'pos-member-registration';
        }
        field(5; "API Key Set"; Boolean)
        {
            Caption = 'API Key Set';
            ToolTip = 'Specifies whether an API key is stored in isolated storage.';
            DataClassification = SystemMetadata;
            Editable = false;
        }
        field(6; "Long-Poll Seconds"; Integer)
        {
            Caption = 'Long-Poll Seconds';
            ToolTip = 'Specifies how long one status request waits for a change (at most 60 seconds).';
            DataClassification = CustomerContent;
            InitValue = 50;
            MinValue = 1;
            MaxValue = 60;
        }
    }

    keys
    {
        key(PK; "Primary Key")
        {
            Clustered = true;
        }
    }

    var
        ApiKeyStorageKeyTxt: Label 'BCV-Vipps-ConnectorApiKey', Locked = true;
        HttpsRequiredErr: Label 'The connector URL must start with https://.';

    /// <summary>Gets the setup record, inserting it with defaults when there is none.</summary>
    procedure GetOrCreate()
    begin
        if not Get() then begin
            Init();
            Insert();
        end;
    end;

    /// <summary>Stores the API key in isolated storage (company scope, encrypted when possible). Internal: only this app may set it.</summary>
    [NonDebuggable]
    internal procedure SetApiKey(ApiKey: SecretText)
    begin
        if ApiKey.IsEmpty() then begin
            if IsolatedStorage.Contains(ApiKeyStorageKeyTxt, DataScope::Company) then
                IsolatedStorage.Delete(ApiKeyStorageKeyTxt, DataScope::Company);
            "API Key Set" := false;
        end else begin
            if EncryptionEnabled() then
                IsolatedStorage.SetEncrypted(ApiKeyStorageKeyTxt, ApiKey, DataScope::Company)
            else
                IsolatedStorage.Set(ApiKeyStorageKeyTxt, ApiKey, DataScope::Company);
            "API Key Set" := true;
        end;
        Modify();
    end;

    /// <summary>The API key from isolated storage; empty when none is set. Internal: another extension must not be able to read the key and send it elsewhere.</summary>
    [NonDebuggable]
    internal procedure GetApiKey() ApiKey: SecretText
    begin
        if IsolatedStorage.Contains(ApiKeyStorageKeyTxt, DataScope::Company) then
            IsolatedStorage.Get(ApiKeyStorageKeyTxt, DataScope::Company, ApiKey);
    end;

    procedure HasApiKey(): Boolean
    begin
        exit(IsolatedStorage.Contains(ApiKeyStorageKeyTxt, DataScope::Company));
    end;
}
