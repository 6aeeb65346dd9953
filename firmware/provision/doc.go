// Package provision builds, verifies and installs signed node bundles: the
// files a sensor node needs to join a site (its node.yaml, the broker's CA,
// its MQTT client certificate and key, its MQTT password).
//
// A bundle is an uncompressed tar holding, in this order:
//
//	manifest.json   site, sensor, install dir, signing key ID, and the
//	                name, size and SHA-256 of every other member
//	manifest.sig    the 64-byte Ed25519 signature of manifest.json's bytes
//	node.yaml, ca.pem, node.pem, node-key.pem, mqtt.pass
//
// Only those member names are allowed, only as regular files, each at most
// MaxMemberBytes, never twice (so at most seven members). The site
// operator signs with a key from GenerateKey (PKCS#8 / PKIX PEM, so openssl
// can check a signature too); nodes hold only the public key.
//
// Verify reads the whole bundle into memory and checks structure,
// signature, manifest and every hash before it returns a Bundle; Install
// accepts only a Bundle that Verify returned, so nothing is ever written
// from an unverified bundle. Install writes each file to a temporary name
// in the target directory, syncs it and renames it into place, with mode
// 0600 for secrets (node-key.pem, mqtt.pass) and 0644 otherwise, and
// removes the bundle files an earlier install left that this bundle does
// not have. It refuses a directory holding another node's node.yaml
// (another site or sensor ID) unless forced.
//
// Build refuses certificates a broker requiring client certificates would
// refuse or take for another node (CheckNodeCerts); sensor --check runs
// the same checks but only notes a certificate outside its validity
// period (CheckNodeCertsDatesApart).
package provision
