// Written for oidc-harness; not generated from Dex's api.proto.
//
// Compile-only shim for github.com/dexidp/dex/api/v2. Dex master's
// server/apiserver references gRPC message types that are newer than the only
// published api/v2 module (v2.4.0). The harness never enables Dex's gRPC API,
// so these types are never used at run time: they are plain Go structs (no
// protobuf reflection, no wire format) that only let server/apiserver compile.
//
// harness/src/toolchain/dex_shim.rs also adds a few untagged fields to five existing v2.4.0 message
// structs (Client, ClientInfo, UpdateClientReq, Connector, UpdateConnectorReq);
// the getters for those fields live at the end of this file.

package api

// ---- user identities (server/apiserver/identities.go) ----

type ConsentEntry struct {
	ClientId string
	Scopes   []string
}

type UserIdentity struct {
	UserId        string
	ConnectorId   string
	Email         string
	EmailVerified bool
	Username      string
	Groups        []string
	Consents      []*ConsentEntry
	MfaDevices    []*MFADeviceInfo
	CreatedAt     int64
	LastLogin     int64
	BlockedUntil  int64
}

type GetUserIdentityReq struct{ UserId, ConnectorId string }
type GetUserIdentityResp struct{ Identity *UserIdentity }

type ListUserIdentitiesReq struct{}
type ListUserIdentitiesResp struct{ Identities []*UserIdentity }

type DeleteUserIdentityReq struct{ UserId, ConnectorId string }
type DeleteUserIdentityResp struct{ NotFound bool }

// ---- MFA (server/apiserver/mfa.go) ----

type MFASecret struct {
	AuthenticatorId string
	Type            string
	Confirmed       bool
	CreatedAt       int64
}

type WebAuthnCredential struct {
	CredentialId    []byte
	AttestationType string
	Aaguid          []byte
	SignCount       uint32
	CloneWarning    bool
	Transport       []string
	BackupEligible  bool
	BackupState     bool
	DisplayName     string
	CreatedAt       int64
}

type MFADeviceInfo struct {
	AuthenticatorId     string
	MfaSecret           *MFASecret
	WebauthnCredentials []*WebAuthnCredential
}

type ResetMFAReq struct{ UserId, ConnectorId string }
type ResetMFAResp struct{ NotFound bool }

type ListMFADevicesReq struct{ UserId, ConnectorId string }
type ListMFADevicesResp struct{ Devices []*MFADeviceInfo }

type DeleteWebAuthnCredentialReq struct {
	UserId       string
	ConnectorId  string
	CredentialId []byte
}
type DeleteWebAuthnCredentialResp struct{ NotFound bool }

type DeleteMFASecretReq struct{ UserId, ConnectorId, AuthenticatorId string }
type DeleteMFASecretResp struct{ NotFound bool }

// ---- auth sessions (server/apiserver/sessions.go) ----

type ClientAuthState struct {
	ClientId          string
	AuthenticatedAt   int64
	LastActivity      int64
	LastTokenIssuedAt int64
	ViaSso            bool
}

type AuthSession struct {
	Id             string
	UserId         string
	ConnectorId    string
	ClientStates   []*ClientAuthState
	CreatedAt      int64
	LastActivity   int64
	IpAddress      string
	UserAgent      string
	AbsoluteExpiry int64
	IdleExpiry     int64
}

type GetAuthSessionReq struct{ Id string }
type GetAuthSessionResp struct{ Session *AuthSession }

type ListAuthSessionsReq struct{ UserId, ConnectorId string }
type ListAuthSessionsResp struct{ Sessions []*AuthSession }

type DeleteAuthSessionReq struct{ Id string }
type DeleteAuthSessionResp struct{ NotFound bool }

type TerminateSessionsByConnectorReq struct{ ConnectorId string }
type TerminateSessionsByConnectorResp struct{ SessionsTerminated int64 }

type TerminateSessionsByUserReq struct{ UserId string }
type TerminateSessionsByUserResp struct{ SessionsTerminated int64 }

type RevokeConsentReq struct{ UserId, ConnectorId, ClientId string }
type RevokeConsentResp struct{ NotFound bool }

// ---- connectors (server/apiserver/connectors.go) ----

// GrantTypes wraps a list so that UpdateConnectorReq.NewGrantTypes can
// distinguish "not set" (nil) from "set to empty".
type GrantTypes struct{ GrantTypes []string }

// ---- getters for the fields dex_shim.rs adds to v2.4.0 structs ----

func (x *UpdateClientReq) GetBackchannelLogoutUri() string {
	if x != nil && x.BackchannelLogoutUri != nil {
		return *x.BackchannelLogoutUri
	}
	return ""
}

func (x *UpdateClientReq) GetRefreshTokenLifetime() string {
	if x != nil && x.RefreshTokenLifetime != nil {
		return *x.RefreshTokenLifetime
	}
	return ""
}
