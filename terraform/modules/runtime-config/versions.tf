# Pure configuration: this module computes values and creates no resources.
terraform {
  required_version = ">= 1.5.0"
}
