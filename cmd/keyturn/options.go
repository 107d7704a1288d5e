package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keyturn/keyturn/client"
)

const (
	defaultEndpointURL = "http://127.0.0.1:8080"
	defaultRegion      = "us-east-1"
)

// envAnnotation is the flag annotation that lists the environment
// variables a flag falls back to, in order of precedence.
const envAnnotation = "keyturn-env"

// setFlagEnv makes the flag fall back to the first of the environment
// variables that is set and not empty. The flag's help should name them.
func setFlagEnv(flags *pflag.FlagSet, name string, envs ...string) {
	if err := flags.SetAnnotation(name, envAnnotation, envs); err != nil {
		panic(err) // SetAnnotation fails only for a flag that does not exist
	}
}

// applyEnv sets each flag that has environment variables and was not given
// on the command line from the first of its variables that is not empty.
func applyEnv(flags *pflag.FlagSet) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		for _, name := range f.Annotations[envAnnotation] {
			v := os.Getenv(name)
			if v == "" {
				continue
			}
			if setErr := flags.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("invalid environment variable %s=%q for --%s: %w", name, v, f.Name, setErr)
			}
			return
		}
	})
	return err
}

// connOptions are the flags of every command that calls a server: where
// the server is, how to sign requests, and how to print results.
type connOptions struct {
	endpointURL string
	region      string
	profile     string
	output      string
}

func (o *connOptions) register(flags *pflag.FlagSet) {
	flags.StringVar(&o.endpointURL, "endpoint-url", defaultEndpointURL, "base URL of the Keyturn server (env KEYTURN_ENDPOINT_URL, else AWS_ENDPOINT_URL_MPA or AWS_ENDPOINT_URL, as the AWS CLI reads them)")
	setFlagEnv(flags, "endpoint-url", "KEYTURN_ENDPOINT_URL", "AWS_ENDPOINT_URL_MPA", "AWS_ENDPOINT_URL")
	flags.StringVar(&o.region, "region", "", "AWS region of signed requests, which selects the region of the account's data (default: $AWS_REGION, else $AWS_DEFAULT_REGION, else the profile's region, else "+defaultRegion+")")
	setFlagEnv(flags, "region", "AWS_REGION", "AWS_DEFAULT_REGION")
	flags.StringVar(&o.profile, "profile", "", "profile of the AWS shared configuration files whose credentials sign requests (default: $AWS_PROFILE, else default)")
	flags.StringVar(&o.output, "output", "text", "output format: text for people, json for scripts (env KEYTURN_OUTPUT)")
	setFlagEnv(flags, "output", "KEYTURN_OUTPUT")
}

// validate checks the flags that every command uses.
func (o *connOptions) validate() error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("invalid --output %q: use text or json", o.output)
	}
	u, err := url.Parse(o.endpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid --endpoint-url %q: use an http or https URL such as %s", o.endpointURL, defaultEndpointURL)
	}
	return nil
}

func (o *connOptions) printer(cmd *cobra.Command) printer {
	return printer{w: cmd.OutOrStdout(), json: o.output == "json"}
}

// awsConfig loads the AWS configuration with the standard credential
// chain, as the AWS CLI does.
func (o *connOptions) awsConfig(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	return cfg, nil
}

// adminClient returns a client that signs requests with the AWS
// credentials.
func (o *connOptions) adminClient(ctx context.Context) (*client.Client, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	cfg, err := o.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &client.Client{BaseURL: o.endpointURL, Credentials: cfg.Credentials, Region: cfg.Region}, nil
}

// durationValue is a flag value for a duration in Go syntax ("90m",
// "1h30m"), which also takes whole days with a leading "d" component
// ("7d", "1d12h").
type durationValue time.Duration

// String formats the duration without zero units, such as "24h" for
// 24h0m0s, and "0" for zero, which pflag's help omits as the zero value.
func (d *durationValue) String() string {
	if *d == 0 {
		return "0"
	}
	s := time.Duration(*d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (d *durationValue) Type() string { return "duration" }

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// parseDuration parses a Go duration that may start with a number of
// days, such as "2d" or "1d6h".
func parseDuration(s string) (time.Duration, error) {
	invalid := fmt.Errorf("invalid duration %q: use a number with a unit d, h, m or s, such as 2h, 90m or 7d", s)
	var days time.Duration
	if before, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(before)
		if err != nil || n < 0 {
			return 0, invalid
		}
		days = time.Duration(n) * 24 * time.Hour
		if after == "" {
			return days, nil
		}
		s = after
	}
	v, err := time.ParseDuration(s)
	if err != nil || (days > 0 && v < 0) {
		return 0, invalid
	}
	return days + v, nil
}

// usageArgs returns an argument check that requires exactly the named
// arguments, such as USER.
func usageArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		return fmt.Errorf("%s takes %d argument(s), %s, but got %d. See %s --help",
			strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), len(names), strings.Join(names, " "), len(args), cmd.CommandPath())
	}
}
