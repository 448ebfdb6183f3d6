/* placeholder until the config module lands; replaced by its sources */
typedef int fsim__config_placeholder;
