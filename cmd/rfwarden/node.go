package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rfwarden/rfwarden/firmware/hackrf"
	"github.com/rfwarden/rfwarden/firmware/nodecheck"
	"github.com/rfwarden/rfwarden/firmware/provision"
	"github.com/rfwarden/rfwarden/sensor/config"
)

const nodeUsage = `usage: rfwarden node SUBCOMMAND [flags]

Provision and check sensor nodes.

  keygen  --out DIR                       make the site's Ed25519 signing key pair (site.key 0600, site.pub)
  bundle  --key site.key --config node.yaml [--ca ca.pem] [--cert node.pem]
          [--node-key node-key.pem] [--mqtt-password-file pw] --out node.tar
                                          validate node.yaml and sign a bundle of it and its MQTT files
  verify  --pub site.pub BUNDLE           check a bundle's signature and hashes, list its files
  install --pub site.pub [--dir /etc/rfwarden] [--owner USER[:GROUP]] [--force] BUNDLE
                                          verify, then write the files atomically (secrets 0600) and
                                          remove those the bundle lacks; --force to replace another node
  check   [--config node.yaml | --serial S] [--noise=false] [--noise-center-hz HZ] [--json]
                                          report the HackRF board, firmware, USB link and noise floor

Run "rfwarden node SUBCOMMAND -h" for the flags of one subcommand.
`

// cmdNode dispatches `rfwarden node SUBCOMMAND`.
func cmdNode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, nodeUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"keygen":  nodeKeygen,
		"bundle":  nodeBundle,
		"verify":  nodeVerify,
		"install": nodeInstall,
		"check": func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return nodeCheck(ctx, args, stdout, stderr, nodecheck.DefaultDeps)
		},
	}
	f, ok := sub[args[0]]
	if !ok {
		fmt.Fprint(stderr, nodeUsage)
		return fmt.Errorf("node: unknown subcommand %q", args[0])
	}
	return f(ctx, args[1:], stdout, stderr)
}

// nodeFlags returns a flag set for `node NAME` that prints usage to stderr.
func nodeFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("node "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "usage: rfwarden node %s %s\n\n", name, usage); printDefaults(fs) }
	return fs
}

// parseNodeFlags parses args; -h is not an error, other problems are errUsage.
func parseNodeFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}

func nodeKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := nodeFlags("keygen", "--out DIR", stderr)
	out := fs.String("out", "", "directory for site.key and site.pub (created 0700 if missing)")
	if help, err := parseNodeFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	id, err := provision.WriteKeyPair(*out, rand.Reader)
	if err != nil {
		return fmt.Errorf("node keygen: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (private, 0600) and %s; key ID %s\nkeep %s offline; copy %s to every node\n",
		filepath.Join(*out, provision.PrivateKeyFile), filepath.Join(*out, provision.PublicKeyFile), id,
		provision.PrivateKeyFile, provision.PublicKeyFile)
	return err
}

// readInput reads an input file of at most provision.MaxMemberBytes; an
// empty path yields nil (absent).
func readInput(what, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, provision.MaxMemberBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %q: %w", what, path, err)
	}
	if len(b) > provision.MaxMemberBytes {
		return nil, fmt.Errorf("%s %q: larger than %d bytes", what, path, provision.MaxMemberBytes)
	}
	return b, nil
}

func nodeBundle(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := nodeFlags("bundle", "--key site.key --config node.yaml [--ca ...] [--cert ...] [--node-key ...] [--mqtt-password-file ...] --out node.tar", stderr)
	keyPath := fs.String("key", os.Getenv("RFW_SITE_KEY"), "the site signing key, `site.key` from node keygen (env RFW_SITE_KEY)")
	cfgPath := fs.String("config", "", "node YAML; validated, and its mqtt.* file paths must match the files given")
	ca := fs.String("ca", "", "PEM CA certificate of the broker (installed as ca.pem)")
	cert := fs.String("cert", "", "PEM client certificate of the node (installed as node.pem)")
	nodeKey := fs.String("node-key", "", "PEM client private key of the node (installed as node-key.pem, 0600)")
	pw := fs.String("mqtt-password-file", "", "file holding the node's MQTT password (installed as mqtt.pass, 0600)")
	out := fs.String("out", "", "bundle file to write (0600); an existing file there must be an earlier bundle, which it replaces")
	if help, err := parseNodeFlags(fs, args); help || err != nil {
		return err
	}
	if *keyPath == "" || *cfgPath == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	// --out keys/site.key replaced the site's signing key with the tar,
	// --out node.yaml the node's config
	if err := notInput("--out", *out, input{"--key", *keyPath}, input{"--config", *cfgPath}, input{"--ca", *ca},
		input{"--cert", *cert}, input{"--node-key", *nodeKey}, input{"--mqtt-password-file", *pw}); err != nil {
		return fmt.Errorf("node bundle: %w", err)
	}
	if err := replaceableBundle(*out); err != nil {
		return fmt.Errorf("node bundle: %w", err)
	}
	priv, err := provision.ReadPrivateKey(*keyPath)
	if err != nil {
		return fmt.Errorf("node bundle: %w", err)
	}
	var in provision.Inputs
	for _, x := range []struct {
		what, path string
		dst        *[]byte
	}{{"node config", *cfgPath, &in.Config}, {"CA", *ca, &in.CA}, {"client certificate", *cert, &in.Cert},
		{"client key", *nodeKey, &in.Key}, {"MQTT password file", *pw, &in.Password}} {
		if *x.dst, err = readInput(x.what, x.path); err != nil {
			return fmt.Errorf("node bundle: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp*")
	if err != nil {
		return fmt.Errorf("node bundle: %w", err)
	}
	defer os.Remove(tmp.Name())
	m, err := provision.Build(tmp, priv, in, time.Now())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		return fmt.Errorf("node bundle %s: %w", *cfgPath, err)
	}
	fmt.Fprintf(stdout, "wrote %s: site %s, sensor %s, key %s\n", *out, m.Site, m.Sensor, m.KeyID)
	return printFiles(stdout, m)
}

// replaceableBundle refuses an --out that exists and is not a bundle (nor
// empty): a bundle is made again for each change of a node, and replaces
// the last one, but any other file there (another site's key, a config, a
// certificate: the bundle's inputs are under other names too) would be
// lost to the tar, and node bundle has no --force (node keygen, likewise,
// never replaces a key).
func replaceableBundle(out string) error {
	f, err := os.Open(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && (st.IsDir() || !st.Mode().IsRegular()) {
		return fmt.Errorf("--out %s is not a regular file: name the bundle file to write, e.g. node-SENSOR.tar", out)
	} else if err == nil && st.Size() == 0 {
		return nil
	}
	if raw, err := provision.Read(f); err != nil || raw.Manifest == nil {
		return fmt.Errorf("--out %s exists and is not a bundle: it would be replaced by the tar; name a new file, or move it away first", out)
	}
	return nil
}

func printFiles(w io.Writer, m provision.Manifest) error {
	for _, f := range m.Files {
		mode := "0644"
		if provision.IsSecret(f.Name) {
			mode = "0600"
		}
		if _, err := fmt.Fprintf(w, "  %-13s %s %7d  sha256:%s\n", f.Name, mode, f.Size, f.SHA256); err != nil {
			return err
		}
	}
	return nil
}

// openVerified reads and verifies the bundle at path with the public key
// at pubPath.
func openVerified(pubPath, path string) (*provision.Bundle, error) {
	pub, err := provision.ReadPublicKey(pubPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	b, err := provision.ReadVerify(f, pub)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	return b, nil
}

func nodeVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := nodeFlags("verify", "--pub site.pub BUNDLE", stderr)
	pubPath := fs.String("pub", os.Getenv("RFW_SITE_PUB"), "site public key (env RFW_SITE_PUB)")
	if help, err := parseNodeFlags(fs, args); help || err != nil {
		return err
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	if *pubPath == "" || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	b, err := openVerified(*pubPath, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("node verify: %w", err)
	}
	m := b.Manifest
	fmt.Fprintf(stdout, "ok: %s: site %s, sensor %s, signed by key %s on %s, installs into %s\n",
		fs.Arg(0), m.Site, m.Sensor, m.KeyID, m.Created.UTC().Format(time.RFC3339), dirOrAny(m.Dir))
	return printFiles(stdout, m)
}

func dirOrAny(dir string) string {
	if dir == "" {
		return "any dir"
	}
	return dir
}

func nodeInstall(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := nodeFlags("install", "--pub site.pub [--dir /etc/rfwarden] [--owner USER[:GROUP]] [--force] BUNDLE", stderr)
	pubPath := fs.String("pub", os.Getenv("RFW_SITE_PUB"), "site public key (env RFW_SITE_PUB)")
	dir := fs.String("dir", "/etc/rfwarden", "install directory (created 0750 if missing); must be the one node.yaml names for its files")
	owner := fs.String("owner", "", "give the files to USER[:GROUP] (names or numbers; needs root), e.g. rfwarden")
	force := fs.Bool("force", false, "install over another node's files (another site or sensor ID): this node takes the bundle's identity")
	if help, err := parseNodeFlags(fs, args); help || err != nil {
		return err
	}
	if err := flagAfterArg(fs); err != nil {
		return err
	}
	if *pubPath == "" || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	opt, err := parseOwner(*owner)
	if err != nil {
		return fmt.Errorf("node install: %w", err)
	}
	b, err := openVerified(*pubPath, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("node install: %w", err)
	}
	opt.Force = *force
	res, err := provision.Install(b, *dir, opt)
	if errors.Is(err, provision.ErrOtherNode) {
		return fmt.Errorf("node install: %w: the bundle may have been copied to the wrong node: take it to node %s; give --force only if this node is really becoming %s",
			err, b.Manifest.Sensor, b.Manifest.Sensor)
	}
	if err != nil {
		return fmt.Errorf("node install: %w", err)
	}
	fmt.Fprintf(stdout, "installed sensor %s of site %s (key %s):\n", b.Manifest.Sensor, b.Manifest.Site, b.Manifest.KeyID)
	for _, p := range res.Paths {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	if res.Replaced != nil {
		fmt.Fprintf(stdout, "replaced %v (--force): this node is now sensor %s of site %s\n", *res.Replaced, b.Manifest.Sensor, b.Manifest.Site)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(stdout, "removed %s (not in this bundle)\n", p)
	}
	return nil
}

// parseOwner turns USER[:GROUP] into install options; GROUP defaults to
// USER's primary group.
func parseOwner(s string) (provision.InstallOptions, error) {
	if s == "" {
		return provision.InstallOptions{}, nil
	}
	name, group, hasGroup := strings.Cut(s, ":")
	uid, err := strconv.Atoi(name)
	gid := -1
	if err != nil {
		u, err := user.Lookup(name)
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return provision.InstallOptions{}, fmt.Errorf("owner %q: no such user on this host: create the service account first (useradd --system --home-dir /var/lib/rfwarden --no-create-home --shell /usr/sbin/nologin %s, docs/deploy.md section 1), or give --owner an existing USER[:GROUP]", name, name)
		}
		if err != nil {
			return provision.InstallOptions{}, fmt.Errorf("owner %q: %w", name, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if hasGroup {
		if gid, err = strconv.Atoi(group); err != nil {
			g, err := user.LookupGroup(group)
			var unknown user.UnknownGroupError
			if errors.As(err, &unknown) {
				return provision.InstallOptions{}, fmt.Errorf("owner %q: no such group %q on this host: give an existing group after the colon, or leave it out for the user's own group", s, group)
			}
			if err != nil {
				return provision.InstallOptions{}, fmt.Errorf("group %q: %w", group, err)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
	}
	return provision.InstallOptions{Chown: true, UID: uid, GID: gid}, nil
}

// nodeCheck runs `node check` with the outside world from deps(serial).
func nodeCheck(ctx context.Context, args []string, stdout, stderr io.Writer, deps func(serial string) nodecheck.Deps) error {
	fs := nodeFlags("check", "[--config node.yaml | --serial S] [--noise=false] [--noise-center-hz HZ] [--json]", stderr)
	cfgPath := fs.String("config", os.Getenv("RFW_SENSOR_CONFIG"), "node YAML; its source.serial selects the board (env RFW_SENSOR_CONFIG)")
	serial := fs.String("serial", "", "board serial (overrides --config's source.serial; a --config given must still load)")
	noise := fs.Bool("noise", true, "run the 0.1 s noise-floor self-test with hackrf_transfer")
	centerHz := fs.Int64("noise-center-hz", nodecheck.DefaultNoiseCenterHz, "noise-floor self-test centre frequency in Hz, 1e6..6e9 (a HackRF's range)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if help, err := parseNodeFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if hz := float64(*centerHz); *noise && !(hz >= hackrf.MinCenterHz && hz <= hackrf.MaxCenterHz) {
		// hackrf_transfer failed on it, and the check reported the board's
		// noise test failed, not the flag
		return fmt.Errorf("node check: --noise-center-hz %d is outside %g..%g Hz, what a HackRF tunes", *centerHz, hackrf.MinCenterHz, hackrf.MaxCenterHz)
	}
	if *serial != "" && flagSet(fs, "config") {
		// --serial picks the board, but a --config given must still be
		// one: --config /nonexistent.yaml --serial S was ignored silently
		if _, err := config.Load(*cfgPath); err != nil {
			return fmt.Errorf("node check: --config: %w (--serial picks the board; leave --config out to check the board alone)", err)
		}
	}
	if *serial == "" && *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return fmt.Errorf("node check: %w", err)
		}
		if k := cfg.Source.Kind; k == config.SourceSim || k == config.SourceFile {
			// nothing to check, and a FAIL of a board the node never
			// needed: "no HackRF board found ... the node is not ready"
			return fmt.Errorf("node check: %s: source.kind is %s: the node has no receiver to check (node check is for the hackrf and hackrf_transfer kinds); rfwarden sensor --check --config %s checks its config and source", *cfgPath, k, *cfgPath)
		}
		*serial = cfg.Source.Serial
	}
	r, err := nodecheck.Run(ctx, deps(*serial), nodecheck.Options{Serial: *serial, NoiseTest: *noise, CenterHz: *centerHz})
	if err != nil {
		return fmt.Errorf("node check: %w", err)
	}
	if *asJSON {
		err = r.WriteJSON(stdout)
	} else {
		err = r.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if r.Worst() == nodecheck.Fail {
		return errors.New("node check: the node is not ready (see FAIL lines)")
	}
	return nil
}
