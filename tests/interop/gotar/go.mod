module stele.test/gotar

go 1.19
