//! Go build info (`go version -m`): both encodings.
