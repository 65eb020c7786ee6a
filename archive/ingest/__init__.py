"""What comes into the archive and goes back out: Markdown issues loaded into the database
and exported again, links saved to the inbox, URLs cleaned and compared, pages fetched."""
