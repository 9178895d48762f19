"""Administration pages: accounts, departments and topics. Writes go through the features'
operations; this package only holds the pages."""
