package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyturn/keyturn/client"
)

func newPoliciesCommand() *cobra.Command {
	o := new(connOptions)
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "Manage the catalogue of MPA policies that teams attach",
		Long: `Manage the catalogue of MPA policies. A policy names the actions of a service
that an approval team protects. Teams attach a policy by its ARN,
arn:aws:mpa:::aws:policy/SERVICE_PRINCIPAL/NAME, when they are created.`,
		Example: "  keyturn policies put --service-principal deploy.example.com --name ProductionDeploy --action deploy:Promote",
	}
	o.register(cmd.PersistentFlags())
	cmd.AddCommand(newPoliciesPutCommand(o))
	return cmd
}

func newPoliciesPutCommand(o *connOptions) *cobra.Command {
	var in client.PutPolicyInput
	cmd := &cobra.Command{
		Use:   "put --service-principal NAME --name NAME --action ACTION...",
		Short: "Add a new default version of a policy",
		Long: `Add a new version of a policy and make it the default version, creating the
policy if it does not exist. The request must be signed with operator
credentials (Operator in the server's credentials file); on a development
server any credentials are operators.

An action is SERVICE:NAME, and a trailing * matches every action that starts
with what comes before it.`,
		Example: `  keyturn policies put --service-principal deploy.example.com --name ProductionDeploy \
    --action deploy:Promote --action 'deploy:Rollback*'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.adminClient(cmd.Context())
			if err != nil {
				return err
			}
			v, err := c.PutPolicy(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.printer(cmd).print(v, func(w io.Writer) error {
				return writeFields(w,
					field{"Policy version", v.Arn},
					field{"Policy", v.PolicyArn},
					field{"Version", fmt.Sprint(v.VersionID)},
					field{"Status", v.Status},
					field{"Actions", strings.Join(v.Actions, ", ")},
				)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.ServicePrincipal, "service-principal", "", "service principal that owns the actions, such as deploy.example.com (required)")
	f.StringVar(&in.Name, "name", "", "name of the policy, such as ProductionDeploy (required)")
	f.StringArrayVar(&in.Actions, "action", nil, "protected action, such as deploy:Promote or 'deploy:*'; repeat for more actions (required)")
	f.BoolVar(&in.Deprecated, "deprecated", false, "mark the new version DEPRECATED, so that new teams cannot attach it")
	cmd.MarkFlagRequired("service-principal")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("action")
	return cmd
}
