
abc