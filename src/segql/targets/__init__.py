"""What segments become besides SQL: MongoDB JSON (`mongo`) and in-process evaluation (`evaluate`)."""
