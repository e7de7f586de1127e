"""Post-mortems and their action items: documents, reviews, deadlines, exports."""
