/// <summary>
/// The member fields a member-info request returns (NP Retail member API names, DESIGN §4), for the
/// POS member dialog to copy into its "NPR MM Member Info Capture" record. Temporary: nothing is stored.
/// </summary>
table 50104 "BCV Member Info Buffer"
{
    Caption = 'Vipps Member Info Buffer';
    TableType = Temporary;
    DataClassification = CustomerContent;
    Access = Public;

    fields
    {
        field(1; "Entry No."; Integer)
        {
            Caption = 'Entry No.';
            DataClassification = SystemMetadata;
        }
        field(2; "First Name"; Text[50])
        {
            Caption = 'First Name';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(3; "Last Name"; Text[50])
        {
            Caption = 'Last Name';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(4; "E-Mail Address"; Text[80])
        {
            Caption = 'E-Mail Address';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(5; "Phone No."; Text[30])
        {
            Caption = 'Phone No.';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(6; Birthday; Date)
        {
            Caption = 'Birthday';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(7; Address; Text[100])
        {
            Caption = 'Address';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(8; "Post Code"; Code[20])
        {
            Caption = 'Post Code';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(9; City; Text[50])
        {
            Caption = 'City';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(10; Country; Text[50])
        {
            Caption = 'Country';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(11; Newsletter; Text[30])
        {
            Caption = 'Newsletter';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(12; "GDPR Consent"; Text[30])
        {
            Caption = 'GDPR Consent';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(13; "Member Id"; Text[50])
        {
            Caption = 'Member Id';
            DataClassification = EndUserPseudonymousIdentifiers;
        }
        field(14; "Request Id"; Text[64])
        {
            Caption = 'Request Id';
            DataClassification = SystemMetadata;
        }
        field(15; "Middle Name"; Text[50])
        {
            Caption = 'Middle Name';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(16; Gender; Text[30])
        {
            Caption = 'Gender';
            DataClassification = EndUserIdentifiableInformation;
        }
        field(17; Warnings; Text[2048])
        {
            Caption = 'Warnings';
            DataClassification = SystemMetadata;
        }
    }

    keys
    {
        key(PK; "Entry No.")
        {
            Clustered = true;
        }
    }
}
