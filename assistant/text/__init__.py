"""Rules of Chinese text that several stages share: years, sentences, quantities.

One home for each rule, so a question, a document title and a chunk are read the same way.
"""
