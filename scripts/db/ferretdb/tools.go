// Pins the FerretDB release that scripts/db/ensure-ferretdb.mjs builds for tests and the embedded database.
//go:build tools

package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
