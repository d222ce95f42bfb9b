// Interop probe for the npm `jose` library, run by passport/tests/interop_tools.rs.
//
//   node jose_probe.mjs KEY.pem JWKS.json TOKEN ISS AUD NOW KID
//
// 1. importPKCS8 reads the private key written by `aiid passport keygen`
//    (RFC 8410 PKCS#8 v1) and exportPKCS8 writes it back;
// 2. jwtVerify checks TOKEN (issued by the passport crate) against the JWKS
//    through createLocalJWKSet, with the issuer, audience and clock given;
// 3. SignJWT issues a new EdDSA token with the same key and kid, which the
//    Rust side then verifies with its own strict verifier.
// Prints one JSON object on stdout. `jose` is resolved from the directory in
// the JOSE_DIR environment variable (where the test ran `npm install jose`).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [keyPath, jwksPath, token, iss, aud, now, kid] = process.argv.slice(2);
const require = createRequire(path.join(process.env.JOSE_DIR, "package.json"));
const jose = await import(pathToFileURL(require.resolve("jose")).href);

const pem = readFileSync(keyPath, "utf8");
const key = await jose.importPKCS8(pem, "EdDSA", { extractable: true });
const exported = await jose.exportPKCS8(key);

const jwks = jose.createLocalJWKSet(JSON.parse(readFileSync(jwksPath, "utf8")));
const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
  issuer: iss,
  audience: aud,
  algorithms: ["EdDSA"],
  currentDate: new Date(Number(now) * 1000),
});

const signed = await new jose.SignJWT({
  sub: "aii_JOSE1",
  tier: "identity_verified",
  operator: "anon",
  surfaces: ["mcp:jose.example"],
  capabilities: ["interop"],
  key_id: kid,
  registry_url: iss + "/whois/aii_JOSE1",
})
  .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
  .setIssuer(iss)
  .setAudience(aud)
  .setIssuedAt(Number(now))
  .setExpirationTime(Number(now) + 600)
  .sign(key);

console.log(JSON.stringify({ exported_pem: exported, payload, protectedHeader, signed }));
