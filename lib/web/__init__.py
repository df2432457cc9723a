"""The book's trained models, exported for the JavaScript of its static pages (chapters 02 and 04).

encode     -- arrays as base64 (float32, or int8 rows with one scale each) in a script file
generator  -- chapter 03's generator with its batch norms folded in, 8-bit weights, and the
              latent codes of each digit that chapter 04's page starts from
lstm       -- a palindrome LSTM of chapter 02 with the units that carry the first digit
__main__   -- ``python -m lib.web export``: writes book/_extra/web/*.js, which the book ships

The page's code is plain JavaScript in book/_extra/web/live.js; it needs no library and no
network, and reads the weights from the script files (a fetch() would fail from file://).
"""
