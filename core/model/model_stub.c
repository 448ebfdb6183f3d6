/* placeholder until the model module lands; replaced by its sources */
typedef int fsim__model_placeholder;
