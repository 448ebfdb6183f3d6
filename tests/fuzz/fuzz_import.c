/* Fuzz target "import": the import CSVs' parse-and-validate step — `fleetsim import KIND FILE
 * --dry-run`, which needs no database. Byte 0 picks the kind (vins, state-data, simulation)
 * and --ignore-unknown-columns; the rest is the file. */
#include "fuzz.h"

#include <fleetsim/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *path;
    if (size < 1)
        return 0;
    if (!path)
        path = fuzz_path("import.csv");
    fuzz_write(path, data + 1, size - 1);
    static const fsim_import_kind kinds[] = {FSIM_IMPORT_VINS, FSIM_IMPORT_STATE_DATA,
                                             FSIM_IMPORT_SIMULATION};
    fsim_import_options opts = {
        .kind = kinds[data[0] % 3],
        .path = path,
        .ignore_unknown_columns = (data[0] / 3) % 2,
        .dry_run = true,
        .fleet = "north",
        .name = "fuzz",
    };
    fsim_import_report report;
    fsim_error err;
    fsim_store_import_csv(NULL, &opts, &report, &err);
    return 0;
}
