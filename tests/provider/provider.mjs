// A real OpenID Provider (panva/oidc-provider, OpenID Certified) on 127.0.0.1,
// for the end-to-end sign-in tests: keys generated per run, one confidential client
// that gets JWT access tokens for the audience "mentorlog" (client credentials),
// and, given a REDIRECT_URI, a public web client ("mentorlog-web", authorization
// code with PKCE) whose users sign in at the dev login form with their email
// address as the login (any password): it is their subject and verified email.
// Usage: node provider.mjs PORT CLIENT_SECRET [REDIRECT_URI]
import { generateKeyPair, exportJWK } from "jose";
import Provider from "oidc-provider";

const [port, secret, redirect] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "run-key", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [
    {
      client_id: "mentorlog-e2e",
      client_secret: secret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
    },
    ...(redirect
      ? [
          {
            client_id: "mentorlog-web",
            token_endpoint_auth_method: "none",
            grant_types: ["authorization_code"],
            response_types: ["code"],
            redirect_uris: [redirect],
          },
        ]
      : []),
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: id, email_verified: true }),
  }),
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: Boolean(redirect) },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:mentorlog:api",
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "api",
        audience: "mentorlog",
        accessTokenFormat: "jwt",
        accessTokenTTL: 300,
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
});
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${issuer}`);
});
