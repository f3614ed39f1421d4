"""Pixels as the files hold them: colour matrices and ranges (colour.py), HDR metadata
(hdr.py), bit depths above 8 (depth.py); shared by the sources and the sinks."""
