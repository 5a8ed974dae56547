// A schema-only Terraform provider for offline `terraform validate`.
//
// The real google and archive providers cannot be downloaded or built here (see terraform/README.md).
// This plugin serves their schemas, exported by tests/terraform/provider_schema.py from the provider
// schema shipped in PyPI's cdktf prebuilt provider, so Terraform itself can type-check every argument,
// block, reference and expression. It accepts every configuration: the providers' own value checks are
// not reproduced, and it can never plan or apply.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type attribute struct {
	Name     string          `json:"name"`
	Type     json.RawMessage `json:"type"`
	Required bool            `json:"required"`
	Optional bool            `json:"optional"`
	Computed bool            `json:"computed"`
}

type blockType struct {
	Name     string `json:"name"`
	MaxItems int64  `json:"max_items"`
	Block    block  `json:"block"`
}

type block struct {
	Attributes []attribute `json:"attributes"`
	BlockTypes []blockType `json:"block_types"`
}

type exported struct {
	Provider    block            `json:"provider"`
	Resources   map[string]block `json:"resources"`
	DataSources map[string]block `json:"data_sources"`
}

func ctyType(raw json.RawMessage) (tftypes.Type, error) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		switch name {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown type %q", name)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("bad type %s", raw)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return nil, err
	}
	element, err := ctyType(pair[1])
	if err != nil {
		return nil, err
	}
	switch kind {
	case "list":
		return tftypes.List{ElementType: element}, nil
	case "set":
		return tftypes.Set{ElementType: element}, nil
	case "map":
		return tftypes.Map{ElementType: element}, nil
	}
	return nil, fmt.Errorf("unknown collection %q", kind)
}

func schemaBlock(b block) (*tfprotov5.SchemaBlock, error) {
	out := &tfprotov5.SchemaBlock{}
	for _, a := range b.Attributes {
		t, err := ctyType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		out.Attributes = append(out.Attributes, &tfprotov5.SchemaAttribute{
			Name: a.Name, Type: t, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
		})
	}
	for _, bt := range b.BlockTypes {
		nested, err := schemaBlock(bt.Block)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bt.Name, err)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov5.SchemaNestedBlock{
			TypeName: bt.Name, Block: nested, Nesting: tfprotov5.SchemaNestedBlockNestingModeList, MaxItems: bt.MaxItems,
		})
	}
	return out, nil
}

type server struct {
	tfprotov5.ProviderServer // methods not below are never called by `terraform validate`
	schema                   *tfprotov5.GetProviderSchemaResponse
}

func (s *server) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{ServerCapabilities: &tfprotov5.ServerCapabilities{GetProviderSchemaOptional: false}}
	for name := range s.schema.ResourceSchemas {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for name := range s.schema.DataSourceSchemas {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return s.schema, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceTypeConfig(context.Context, *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	return &tfprotov5.ValidateResourceTypeConfigResponse{}, nil
}

func (s *server) ValidateDataSourceConfig(context.Context, *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	return &tfprotov5.ValidateDataSourceConfigResponse{}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov5.GetFunctionsRequest) (*tfprotov5.GetFunctionsResponse, error) {
	return &tfprotov5.GetFunctionsResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}

func load(path string) (*tfprotov5.GetProviderSchemaResponse, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e exported
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	provider, err := schemaBlock(e.Provider)
	if err != nil {
		return nil, err
	}
	resp := &tfprotov5.GetProviderSchemaResponse{
		Provider:          &tfprotov5.Schema{Block: provider},
		ResourceSchemas:   map[string]*tfprotov5.Schema{},
		DataSourceSchemas: map[string]*tfprotov5.Schema{},
	}
	for name, b := range e.Resources {
		if resp.ResourceSchemas[name], err = toSchema(name, b); err != nil {
			return nil, err
		}
	}
	for name, b := range e.DataSources {
		if resp.DataSourceSchemas[name], err = toSchema(name, b); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func toSchema(name string, b block) (*tfprotov5.Schema, error) {
	sb, err := schemaBlock(b)
	if err != nil {
		return nil, fmt.Errorf("%s.%w", name, err)
	}
	return &tfprotov5.Schema{Block: sb}, nil
}

func main() {
	executable, err := os.Executable()
	if err != nil {
		panic(err)
	}
	// The exported schema sits next to the binary in the filesystem mirror.
	schema, err := load(filepath.Join(filepath.Dir(executable), "schema.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "schema provider:", err)
		os.Exit(1)
	}
	name := os.Getenv("SCHEMA_PROVIDER_NAME")
	if name == "" {
		name = "registry.terraform.io/hashicorp/schema"
	}
	if err := tf5server.Serve(name, func() tfprotov5.ProviderServer { return &server{schema: schema} }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
