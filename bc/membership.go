package bc

// Membership is an NP Retail membership as POST /membership creates it.
// MembershipCode selects the membership setup ("Membership Code"); the
// others are filled by NP Retail.
type Membership struct {
	ID                       string `json:"membershipId,omitempty"` // SystemId (GUID)
	ExternalMembershipNumber string `json:"membershipNumber,omitempty"`
	MembershipCode           string `json:"membershipCode,omitempty"`
	CommunityCode            string `json:"communityCode,omitempty"`
	CustomerNumber           string `json:"customerNumber,omitempty"`
	ItemNumber               string `json:"itemNumber,omitempty"` // the membership sales item, if the setup asks for one
	ValidFromDate            string `json:"validFromDate,omitempty"`
	ValidUntilDate           string `json:"validUntilDate,omitempty"`
}
