package hotline

// StripMetadata removes the EXIF, XMP, IPTC and PNG text metadata of a
// JPEG or PNG photo of content type ct, so that other modules storing
// photos (the inspection visits' evidence) strip them as submissions do.
// Other content types are returned unchanged.
func StripMetadata(ct string, b []byte) ([]byte, error) { return stripMetadata(ct, b) }
