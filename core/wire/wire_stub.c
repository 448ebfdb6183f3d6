/* placeholder until the wire module lands; replaced by its sources */
typedef int fsim__wire_placeholder;
