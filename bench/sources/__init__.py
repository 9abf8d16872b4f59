"""Sources of the PICD benchmark set: browser renders, GIMP help, synthetic apps, photos."""
