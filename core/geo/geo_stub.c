/* placeholder until the geo module lands; replaced by its sources */
typedef int fsim__geo_placeholder;
