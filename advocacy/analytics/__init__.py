"""What sharing did: clicks on tracked links, an ambassador's impact, team-level reports."""
